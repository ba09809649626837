package main

import (
	"context"
	"slices"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// launchWindow bounds how long before its outcome a create was decided:
// a decision, its intent and its outcome share one cycle (or, after a
// failover, the recovery right after it).
const launchWindow = time.Hour

// resourceRecords is a replay filtered by resource (q.ResourceID set) with
// the creates attributed to the instances they made: the audit log
// indexes a launch's executed record under the instances it created, but
// its decided, executing and failed records were written before the
// instances had ids. For each such create, those records (same decision
// id, within launchWindow before the outcome) are merged in, so a replay
// of one instance shows observed → decided → executing → executed. The
// kinds, limit and tail of q are applied after the merge.
func resourceRecords(ctx context.Context, s *session, q transport.WALQuery) ([]walEntry, uint64, error) {
	base := q
	base.Kinds, base.Limit, base.Last = nil, 0, false
	resp, err := s.client.WAL(ctx, base)
	if err != nil {
		return nil, 0, err
	}
	entries := walEntries(resp.Records)
	for _, launch := range unattributedLaunches(entries) {
		found, err := launchRecords(ctx, s, q, launch)
		if err != nil {
			return nil, 0, err
		}
		entries = append(entries, found...)
	}
	slices.SortFunc(entries, func(a, b walEntry) int { return compareRevisions(a.Revision, b.Revision) })
	entries = slices.CompactFunc(entries, func(a, b walEntry) bool { return a.Revision == b.Revision })
	return trimReplay(entries, q), resp.Revision, nil
}

// unattributedLaunches are the executed creates among entries whose
// decision has no decided record there.
func unattributedLaunches(entries []walEntry) []walEntry {
	decided := map[string]bool{}
	for _, e := range entries {
		if e.Record.Decided != nil {
			decided[e.Record.DecisionID] = true
		}
	}
	var out []walEntry
	for _, e := range entries {
		if ex := e.Record.Executed; ex != nil && ex.Action == wal.ActionCreate && e.Record.DecisionID != "" && !decided[e.Record.DecisionID] {
			decided[e.Record.DecisionID] = true
			out = append(out, e)
		}
	}
	return out
}

// launchRecords finds the decided, executing and failed records of the
// launch's decision that came before it.
func launchRecords(ctx context.Context, s *session, q transport.WALQuery, launch walEntry) ([]walEntry, error) {
	resp, err := s.client.WAL(ctx, transport.WALQuery{
		Kinds: []wal.Kind{wal.KindDecided, wal.KindExecuting, wal.KindFailed},
		Since: launch.Record.Time.Add(-launchWindow), Until: launch.Record.Time.Add(time.Nanosecond),
		Consistency: q.Consistency,
	})
	if err != nil {
		return nil, err
	}
	var out []walEntry
	for _, e := range walEntries(resp.Records) {
		if e.Record.DecisionID == launch.Record.DecisionID && compareRevisions(e.Revision, launch.Revision) < 0 && inWindow(e, q) {
			out = append(out, e)
		}
	}
	return out, nil
}

// inWindow applies the time filters of q to an entry.
func inWindow(e walEntry, q transport.WALQuery) bool {
	return (q.Since.IsZero() || !e.Record.Time.Before(q.Since)) && (q.Until.IsZero() || e.Record.Time.Before(q.Until))
}

// trimReplay applies q's kinds, then its limit (first N) or tail (last N).
func trimReplay(entries []walEntry, q transport.WALQuery) []walEntry {
	if len(q.Kinds) > 0 {
		entries = slices.DeleteFunc(entries, func(e walEntry) bool { return !slices.Contains(q.Kinds, e.Record.Kind) })
	}
	switch {
	case q.Limit > 0 && q.Last && len(entries) > q.Limit:
		entries = entries[len(entries)-q.Limit:]
	case q.Limit > 0 && len(entries) > q.Limit:
		entries = entries[:q.Limit]
	}
	return entries
}
