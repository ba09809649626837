package main

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/yairfalse/ovi/reconcile"
)

// cycleLog writes what the reconciler does to the agent's log: one INFO
// line per cycle (observed, drift by kind, actions, duration, EC2 calls)
// and one per action outcome (INFO executed, WARN failed or unknown), so
// an operator sees it without `ovi wal replay -f`. Attribute names match
// the metric labels (kind, action, outcome, result).
type cycleLog struct {
	logger   *slog.Logger
	apiCalls atomic.Uint64 // EC2 request attempts so far
	// lastCalls is apiCalls at the end of the previous cycle (cycles never
	// overlap, so only the cycle's goroutine touches it).
	lastCalls uint64
}

func newCycleLog(logger *slog.Logger) *cycleLog { return &cycleLog{logger: logger} }

func (l *cycleLog) apiCall() { l.apiCalls.Add(1) }

// cycle logs one finished cycle. A cycle without a configuration is left
// to the loop's own "waiting" line.
func (l *cycleLog) cycle(c reconcile.CycleOutcome) {
	calls := l.apiCalls.Load()
	delta := calls - l.lastCalls
	l.lastCalls = calls
	if c.Result == reconcile.ResultNoConfig {
		return
	}
	rep := c.Report
	attrs := []any{"cycle", rep.CycleID, "result", c.Result, "dry_run", rep.DryRun}
	for _, k := range c.Kinds {
		attrs = append(attrs, slog.Group(k.Kind, "observed", k.Counts.Observed, "in_sync", k.Counts.InSync,
			"missing", k.Counts.Missing, "unwanted", k.Counts.Unwanted, "drifted", k.Counts.Drifted,
			"unmanaged", k.Counts.Unmanaged))
	}
	executed, failed := 0, 0
	for _, d := range rep.Decisions {
		switch d.Status {
		case reconcile.StatusExecuted:
			executed++
		case reconcile.StatusFailed, reconcile.StatusUnknown:
			failed++
		}
	}
	attrs = append(attrs, "withheld", len(c.Withheld), "executed", executed, "failed", failed,
		"duration", rep.Duration.Round(time.Millisecond), "api_calls", delta)
	if c.Err != nil {
		attrs = append(attrs, "error", c.Err)
	}
	l.logger.Info("reconcile cycle", attrs...)
}

// action logs one action outcome.
func (l *cycleLog) action(a reconcile.ActionOutcome) {
	attrs := []any{"kind", a.Kind, "action", a.Action, "outcome", a.Outcome, "cycle", a.CycleID, "decision", a.DecisionID}
	if a.ResourceID != "" {
		attrs = append(attrs, "resource_id", a.ResourceID)
	}
	if len(a.ResourceIDs) > 0 && (len(a.ResourceIDs) != 1 || a.ResourceIDs[0] != a.ResourceID) {
		attrs = append(attrs, "resource_ids", strings.Join(a.ResourceIDs, ","))
	}
	if a.Recovered {
		attrs = append(attrs, "recovered", true)
	}
	if a.Code != "" {
		attrs = append(attrs, "code", a.Code)
	}
	attrs = append(attrs, "message", a.Message)
	if a.Outcome == reconcile.OutcomeExecuted {
		l.logger.Info("reconcile action", attrs...)
		return
	}
	l.logger.Warn("reconcile action", attrs...)
}
