package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// retentionLoop applies the retention policy while this node leads (one
// loop per term, after the barrier). The schedule lives in the log, not in
// the leader's memory: a run is due one interval after the last compaction
// record (any compaction, an operator's too), so a new leader, which has
// every committed record after its barrier, neither runs again what its
// predecessor committed nor skips what it did not get to. A run that finds
// nothing to drop writes nothing, and the next check is an interval later.
// A reload (SIGHUP) ends the wait: the setting in force is read again and
// the next run is due by the same rule with its interval, so a policy
// switched on or shortened runs at once if the log says it is overdue.
func (a *Agent) retentionLoop(ctx context.Context) {
	var checked time.Time
	for ctx.Err() == nil {
		changed := a.Reloaded()
		r := a.Retention()
		if a.retentionWait(ctx, r, checked, changed) {
			checked = a.now()
			a.applyRetention(ctx, r)
		}
	}
}

// retentionWait waits until a run of r is due (true), or the setting is
// reloaded or ctx ends (false). A policy that is off is never due.
func (a *Agent) retentionWait(ctx context.Context, r RetentionConfig, checked time.Time, changed <-chan struct{}) bool {
	var due <-chan time.Time
	if r.Enabled() {
		timer := time.NewTimer(max(a.retentionDue(r.every(), checked).Sub(a.now()), 0))
		defer timer.Stop()
		due = timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-changed:
		return false
	case <-due:
		return true
	}
}

// retentionDue is when the next run is due: an interval after the last
// compaction record, and not before an interval after this term's last
// check (checked; zero before the first).
func (a *Agent) retentionDue(every time.Duration, checked time.Time) time.Time {
	var last time.Time
	recs, err := a.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindCompaction}, Limit: 1, Last: true})
	switch {
	case err != nil:
		a.logger.Warn("retention: reading the last compaction", "err", err)
		last = a.now()
	case len(recs) > 0:
		last = recs[0].Record.Time
	}
	due := last.Add(every)
	if !checked.IsZero() && checked.Add(every).After(due) {
		due = checked.Add(every)
	}
	return due
}

// applyRetention runs the policy once: the history and audit log older
// than the policy says go, in one compaction record.
func (a *Agent) applyRetention(ctx context.Context, r RetentionConfig) {
	c := compaction{keep: time.Duration(r.History), auditKeep: time.Duration(r.Audit), policy: r.Policy(), clampAudit: true}
	out, err := a.compact(ctx, c, false)
	var apiErr *transport.APIError
	switch {
	case errors.Is(err, context.Canceled):
	case errors.As(err, &apiErr) && apiErr.Code == transport.CodeBadRequest:
		a.logger.Warn("retention: compaction refused (a node of the cluster may still run an older release)", "err", err)
	case err != nil:
		a.logger.Warn("retention: compaction failed; retried next interval", "err", err)
	case out.Revision == 0:
		a.logger.Debug("retention: nothing to compact", "policy", out.Plan.Policy, "held", len(out.Plan.Held))
	}
}
