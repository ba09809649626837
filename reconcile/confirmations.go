package reconcile

import (
	"context"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// UnwantedHistory is implemented by a State that can return the last cycle
// the WAL recorded. An engine that did not record that cycle itself (a
// standalone `ovi reconcile`, each run a new process; a new leader after
// failover) rebuilds its confirmation counts from it, so a delete held by
// one run is confirmed by the next instead of starting over at "first
// seen" (see LaunchHistory for the launches).
type UnwantedHistory interface {
	LastCycle(ctx context.Context) (RecordedCycle, error)
}

// RecordedCycle is the latest real cycle in the WAL: its id ("" when none
// was recorded), its summary and its decided records. A dry run records
// nothing, so it never confirms anything.
type RecordedCycle struct {
	ID      string
	Summary *wal.CycleSummary
	Decided []wal.Record
}

// UnwantedAfter is the Memory.Unwanted the recorded cycle handed to the
// next one: every resource it decided about as unwanted, in a way that
// counts a sighting, seen once more than its summary's inputs say. A
// decision the cycle left out as unchanged (see recordDecisions) is not
// counted: at worst a delete waits one more confirmation, the safe
// direction.
func UnwantedAfter(c RecordedCycle) map[string]int {
	before := map[string]int{}
	if c.Summary != nil && c.Summary.Inputs != nil {
		for _, u := range c.Summary.Inputs.Unwanted {
			before[u.ResourceID] = u.Seen
		}
	}
	out := map[string]int{}
	for _, r := range c.Decided {
		if d := r.Decided; d != nil && !d.DryRun && countsSighting(d) {
			out[r.ResourceID] = before[r.ResourceID] + 1
		}
	}
	return out
}

// countsSighting reports whether Decide counted the unwanted resource of a
// decision as seen (decideUnwanted): every unwanted decision except the
// refusals of a blessed resource and of one still in use.
func countsSighting(d *wal.Decided) bool {
	if d.Drift != wal.DriftUnwanted {
		return false
	}
	return d.Action != wal.ActionRefuse || strings.HasSuffix(d.Reason, reasonNoDeletePolicy)
}

// recallUnwanted rebuilds the memory's confirmation counts from the last
// recorded cycle when this engine did not record it (see UnwantedHistory);
// the engine that did keeps its own memory, which also holds what the log
// left out as unchanged. Called with the turn held, before a cycle; the
// counts it rebuilds are what Decide reads and the summary records as its
// inputs, so `ovi why` replays the decisions identically.
func (e *Engine) recallUnwanted(ctx context.Context) {
	h, ok := e.opts.State.(UnwantedHistory)
	if !ok {
		return
	}
	last, err := h.LastCycle(ctx)
	if err != nil {
		e.opts.Logger.Warn("reconcile: reading the last recorded cycle failed", "error", err)
		return
	}
	if last.ID == "" || last.ID == e.lastCycle {
		return
	}
	e.memory.Unwanted = UnwantedAfter(last)
	e.lastCycle = last.ID
}
