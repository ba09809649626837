package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// cycleIDLayout is the UTC second inside a cycle id
// ("<node>-20251125T103000Z-<8 hex>", see reconcile's newCycleID).
const cycleIDLayout = "20060102T150405Z"

// parseCycleID reads the start second of a cycle id.
func parseCycleID(id string) (time.Time, bool) {
	rest, random, ok := cutLast(id, "-")
	if !ok || len(random) != 8 || !isHex(random) {
		return time.Time{}, false
	}
	node, stamp, ok := cutLast(rest, "-")
	if !ok || node == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(cycleIDLayout, stamp)
	return t, err == nil
}

// parseDecisionID splits "<cycle id>-<n>" into its cycle id.
func parseDecisionID(id string) (string, bool) {
	cycle, n, ok := cutLast(id, "-")
	if !ok {
		return "", false
	}
	if v, err := strconv.Atoi(n); err != nil || v < 1 {
		return "", false
	}
	_, isCycle := parseCycleID(cycle)
	return cycle, isCycle
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// cycleRecords is what the WAL holds of one cycle.
type cycleRecords struct {
	ID      string
	Records []walEntry // every record with the cycle's id, in revision order
	Summary *walEntry  // nil: the cycle did not finish
}

// cycleRecordPages bounds the records read while looking for a cycle's summary.
const cycleRecordPages = 50

// readCycle reads the records of cycle id: from its start second on,
// until its summary.
func readCycle(ctx context.Context, s *session, id string) (cycleRecords, error) {
	start, ok := parseCycleID(id)
	if !ok {
		return cycleRecords{}, fmt.Errorf("%q is not a cycle id", id)
	}
	cl := cycleRecords{ID: id}
	q := transport.WALQuery{Since: start, Limit: 1000, Consistency: s.consistency()}
	for range cycleRecordPages {
		resp, err := s.client.WAL(ctx, q)
		if err != nil {
			return cl, s.apiFailure("read cycle "+id, err)
		}
		for _, e := range walEntries(resp.Records) {
			if e.Record.CycleID != id {
				continue
			}
			cl.Records = append(cl.Records, e)
			if e.Record.Kind == wal.KindCycleSummary {
				sum := e
				cl.Summary = &sum
				return cl, nil
			}
		}
		if !resp.More || len(resp.Records) == 0 {
			break
		}
		q.After = resp.Records[len(resp.Records)-1].Revision
	}
	return cl, nil
}

// decided returns the cycle's decided records.
func (cl cycleRecords) decided() []walEntry {
	var out []walEntry
	for _, e := range cl.Records {
		if e.Record.Kind == wal.KindDecided {
			out = append(out, e)
		}
	}
	return out
}

// decidedAt is the revision whose state the cycle's Decide read: the
// entry before its first decision (observations are committed before).
func (cl cycleRecords) decidedAt() (uint64, bool) {
	d := cl.decided()
	if len(d) == 0 || d[0].Revision.Main < 2 {
		return 0, false
	}
	return d[0].Revision.Main - 1, true
}

// inputs is the cycle's recorded Decide inputs (nil when not recorded).
func (cl cycleRecords) inputs() *wal.DecideInputs {
	if cl.Summary == nil || cl.Summary.Record.Summary == nil {
		return nil
	}
	return cl.Summary.Record.Summary.Inputs
}

// budget is the cycle's recorded API budget (nil when not recorded: the
// cycle did not finish, or its summary predates format 5).
func (cl cycleRecords) budget() *wal.APIBudget {
	if cl.Summary == nil || cl.Summary.Record.Summary == nil {
		return nil
	}
	return cl.Summary.Record.Summary.Budget
}

// stateAt reads the configuration and resources at revision rev.
func stateAt(ctx context.Context, s *session, rev uint64) (stateView, error) {
	res, err := s.client.State(ctx, transport.StateQuery{Revision: rev, Prefix: stateResourcesPrefix, Consistency: s.consistency()})
	if err != nil {
		return stateView{}, s.apiFailure(fmt.Sprintf("read the resources at revision %d", rev), err)
	}
	cfg, err := s.client.State(ctx, transport.StateQuery{Revision: rev, Prefix: stateKeyConfig, Consistency: s.consistency()})
	if err != nil {
		return stateView{}, s.apiFailure(fmt.Sprintf("read the configuration at revision %d", rev), err)
	}
	v := stateViewOf(res)
	v.Config = stateViewOf(cfg).Config
	return v, nil
}

// replayCycle re-runs the cycle's Decide on its recorded inputs; ok is
// false (with the reason) when the store cannot give them.
func replayCycle(cl cycleRecords, st stateView) (reconcile.Plan, string) {
	in := cl.inputs()
	switch {
	case in == nil:
		return reconcile.Plan{}, "the cycle recorded no Decide inputs (it did not finish, or an Ovi before WAL format 3 ran it)"
	case st.Config == nil:
		return reconcile.Plan{}, "no configuration was in force at that revision"
	case in.ConfigDigest != "" && st.Config.Digest != in.ConfigDigest:
		return reconcile.Plan{}, fmt.Sprintf("the cycle decided from configuration %s, never put in force (a dry run given a file); in force was %s",
			shortHex(in.ConfigDigest), shortHex(st.Config.Digest))
	}
	return reconcile.Replay(reconcile.DefaultKinds(), st.Config.Config, st.Resources, in), ""
}

func shortHex(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
