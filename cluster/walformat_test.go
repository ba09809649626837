package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// TestLeaderWritesTheFormatEveryServerReads: a cluster of this release
// writes the current WAL format; with one server gossiping no format (the
// first release) the leader writes format 1, and a record format 1 cannot
// express is refused loudly instead of reaching a node that would skip it.
func TestLeaderWritesTheFormatEveryServerReads(t *testing.T) {
	agents := startThree(t)
	leader := waitLeaderReady(t, agents)
	waitFor(t, "gossip to know every server's format", 10*time.Second, func() bool {
		return leader.walFormat() == wal.FormatCurrent
	})
	var old string
	for _, a := range agents {
		if a != leader {
			old = a.cfg.NodeName
			break
		}
	}
	leader.members.mu.Lock()
	leader.members.table[old].meta.WAL = 0 // as the first release gossips
	leader.members.mu.Unlock()
	if got := leader.walFormat(); got != wal.FormatV1 {
		t.Fatalf("with a first-release server the leader writes format %d, want 1", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now()
	note := wal.Record{Kind: wal.KindNote, Time: now, Note: &wal.Note{Text: "still readable by every node"}}
	if _, err := leader.Propose(ctx, []wal.Record{note}); err != nil {
		t.Fatalf("a note in format 1: %v", err)
	}
	start := wal.Record{Kind: wal.KindDecided, Time: now, DecisionID: "d-1", ResourceID: "i-1",
		Decided: &wal.Decided{Action: wal.ActionStart, Drift: wal.DriftDrifted, ResourceKind: wal.ResourceInstance}}
	_, err := leader.Propose(ctx, []wal.Record{start})
	if err == nil || !strings.Contains(err.Error(), "older release") {
		t.Fatalf("a start decision with a first-release server: %v, want a refusal naming the upgrade", err)
	}
}

// TestAuditRecordsWaitForEveryServer: with a server that reads only
// format 3 (a release before the restore and leader kinds), the leader
// does not propose a leader record; once it reads format 4 it does.
func TestAuditRecordsWaitForEveryServer(t *testing.T) {
	agents := startThree(t)
	leader := waitLeaderReady(t, agents)
	waitFor(t, "gossip to know every server's format", 10*time.Second, func() bool {
		return leader.walFormat() == wal.FormatCurrent
	})
	count := func() int {
		recs, err := leader.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindLeadership}})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	waitFor(t, "the first leader record", 10*time.Second, func() bool { return count() == 1 })
	old := followerOf(agents).cfg.NodeName
	leader.members.mu.Lock()
	leader.members.table[old].meta.WAL = wal.FormatV3
	leader.members.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leader.recordLeadership(ctx, leader.raft.CurrentTerm())
	if n := count(); n != 1 {
		t.Fatalf("with a format 3 server: %d leader records, want still 1", n)
	}
	leader.members.mu.Lock()
	leader.members.table[old].meta.WAL = wal.FormatV4
	leader.members.mu.Unlock()
	leader.recordLeadership(ctx, leader.raft.CurrentTerm())
	if n := count(); n != 2 {
		t.Fatalf("once every server reads format 4: %d leader records, want 2", n)
	}
}

// TestBudgetWaitsForFormat5: with a server that reads only format 4 (the
// previous release), the leader writes format 4 and a cycle summary
// commits without its API budget (that cycle shows none); once every
// server reads format 5 the budget is committed with the summary.
func TestBudgetWaitsForFormat5(t *testing.T) {
	_, leader, setFormat := formatCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	propose := func(cycle string) *wal.CycleSummary {
		t.Helper()
		rec := wal.Record{Kind: wal.KindCycleSummary, Time: time.Now(), CycleID: cycle, Summary: &wal.CycleSummary{
			Actions: 1, Budget: &wal.APIBudget{Counted: true, Calls: []wal.APICalls{
				{Operation: "RunInstances", Bucket: "run_instances", Planned: 1, Actual: 1}}}}}
		if _, err := leader.Propose(ctx, []wal.Record{rec}); err != nil {
			t.Fatalf("propose the summary of %s: %v", cycle, err)
		}
		recs, err := leader.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindCycleSummary}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Record.CycleID == cycle {
				return r.Record.Summary
			}
		}
		t.Fatalf("summary of %s not in the store", cycle)
		return nil
	}
	setFormat(wal.FormatV4)
	if got := leader.walFormat(); got != wal.FormatV4 {
		t.Fatalf("with a format 4 server the leader writes format %d, want 4", got)
	}
	if s := propose("c-old"); s.Budget != nil || s.Actions != 1 {
		t.Fatalf("summary written for a format 4 server: %+v, want its counts without a budget", s)
	}
	setFormat(wal.FormatV5)
	if s := propose("c-new"); s.Budget == nil || s.Budget.ActualCalls() != 1 {
		t.Fatalf("summary once every server reads format 5: budget %+v", s.Budget)
	}
}

// TestStartKeptOnceEveryServerReadsFormat6: with a server that reads only
// format 5, the leader writes format 5 and a start decision is not kept as
// an open decision on any node (as format-5 nodes compute); once every
// server reads format 6 it is kept on every node, so a new leader
// recovers an interrupted start.
func TestStartKeptOnceEveryServerReadsFormat6(t *testing.T) {
	agents, leader, setFormat := formatCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := func(id string) uint64 {
		t.Helper()
		rec := wal.Record{Kind: wal.KindDecided, Time: time.Now(), DecisionID: id, ResourceID: "i-1", CycleID: "c-1",
			Decided: &wal.Decided{Action: wal.ActionStart, Drift: wal.DriftDrifted, ResourceKind: wal.ResourceInstance}}
		rev, err := leader.Propose(ctx, []wal.Record{rec})
		if err != nil {
			t.Fatalf("propose start %s: %v", id, err)
		}
		return rev
	}
	open := func(a *Agent) []string {
		in, err := a.fsm.OpenIntents(0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, i := range in {
			ids = append(ids, i.Decided.DecisionID)
		}
		return ids
	}
	setFormat(wal.FormatV5)
	start("c-1-1")
	setFormat(wal.FormatV6)
	rev := start("c-1-2")
	for _, a := range agents {
		waitFor(t, a.cfg.NodeName+" to apply the second start", 10*time.Second, func() bool { return a.store.CurrentRevision() >= rev })
		if got := open(a); len(got) != 1 || got[0] != "c-1-2" {
			t.Fatalf("%s open decisions %v, want only the start written in format 6", a.cfg.NodeName, got)
		}
	}
}

// formatCluster starts three agents, waits until the leader knows every
// server reads the current format, and returns setFormat, which makes the
// leader believe one follower reads only format f (its gossip meta).
func formatCluster(t *testing.T) ([]*Agent, *Agent, func(f byte)) {
	t.Helper()
	agents := startThree(t)
	leader := waitLeaderReady(t, agents)
	waitFor(t, "gossip to know every server's format", 10*time.Second, func() bool {
		return leader.walFormat() == wal.FormatCurrent
	})
	old := followerOf(agents).cfg.NodeName
	return agents, leader, func(f byte) {
		leader.members.mu.Lock()
		leader.members.table[old].meta.WAL = f
		leader.members.mu.Unlock()
	}
}
