//go:build e2e

package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// others returns the nodes other than n.
func others(nodes []*node, n *node) []*node {
	var out []*node
	for _, o := range nodes {
		if o != n {
			out = append(out, o)
		}
	}
	return out
}

// callsFrom returns the mutating calls a node made at or after since.
func callsFrom(reqs []simRequest, n *node, since time.Time) []simRequest {
	var out []simRequest
	for _, rq := range reqs {
		if rq.Key == accessKey(n.name) && mutating(rq.Action) && !rq.At.Before(since) {
			out = append(out, rq)
		}
	}
	return out
}

// watchStepDown polls n's status every 10 ms and returns, on the
// channel, the first time n no longer reports itself leader.
func watchStepDown(n *node) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		for {
			st, ok := n.status()
			if ok && st.State != "Leader" {
				ch <- time.Now()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return ch
}

// TestPartitionLeaderIsolated cuts the leader off from the majority (its
// Raft links dropped, both ways) while it launches six groups, one slow
// RunInstances (300 ms) each, right after its second launch reached the
// cloud. The majority elects a new leader and finishes the work. The old
// leader must stop executing: every EC2 call it made after the cut must be
// covered by an intent committed before the cut, and none may arrive after
// it stepped down. After healing, the cluster converges: each group holds
// exactly one instance ever launched, and no record seen anywhere is lost.
func TestPartitionLeaderIsolated(t *testing.T) {
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, true)
	nw := startNetwork(t, cl)
	cl.write(infra{web: 1})
	old := cl.start()
	cl.waitConverged(old, 1, 0, 90*time.Second)
	w := cl.watchWitness()

	c.latency.Store(int64(300 * time.Millisecond))
	mark := time.Now()
	want := infra{web: 1, extra: 6}
	cl.write(want)
	waitFor(t, "the leader's second launch", 30*time.Second, func() bool {
		n := 0
		for _, rq := range callsFrom(c.requests(), old, mark) {
			if rq.Action == "RunInstances" {
				n++
			}
		}
		return n >= 2
	})
	cut := time.Now()
	nw.isolate(old, drop)
	stepped := watchStepDown(old)
	var nl *node
	waitFor(t, "a leader in the majority", 30*time.Second, func() bool { nl = leader(others(cl.nodes, old), 3); return nl != nil })
	var steppedDown time.Time
	select {
	case steppedDown = <-stepped:
	case <-time.After(30 * time.Second):
		t.Fatalf("the isolated leader %s still reports itself leader 30 s after the cut", old.name)
	}
	c.latency.Store(0)
	cl.waitConvergedOn(nl, want, 90*time.Second)

	after := callsFrom(c.requests(), old, cut)
	late := callsFrom(c.requests(), old, steppedDown)
	var inFlight []simRequest // started before the cut, answered after it
	for _, rq := range callsFrom(c.requests(), old, mark) {
		if rq.At.Before(cut) && (rq.Done.IsZero() || rq.Done.After(cut)) {
			inFlight = append(inFlight, rq)
		}
	}
	nw.heal()
	l := cl.waitLeader(60 * time.Second)
	waitFor(t, "every node caught up", 60*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	entries := replayCLI(t, bin, old)
	cl.checkPartitionOutcome(w, entries, want)
	if len(late) != 0 {
		t.Errorf("%d EC2 calls from %s after it stepped down at %s: %+v", len(late), old.name, steppedDown.Format("15:04:05.000"), late)
	}
	for _, bad := range uncoveredBefore(after, entries, old, cut) {
		t.Errorf("after the cut: %s", bad)
	}
	if !strings.Contains(old.Log(), "leadership lost") {
		t.Errorf("%s's log does not say it lost leadership", old.name)
	}
	checkInFlightRecovered(t, inFlight, entries, old)
	t.Logf("leader %s isolated at %s with %d launch in flight; stepped down %s later; new leader %s; %d EC2 calls from the old leader started after the cut, 0 after stepping down; the in-flight launch was recovered by the new leader",
		old.name, cut.Format("15:04:05.000"), len(inFlight), steppedDown.Sub(cut).Round(time.Millisecond), nl.name, len(after))
}

// checkInFlightRecovered asserts that the launch the old leader had in
// flight when it was cut off (its outcome could not be committed) was
// settled by the new leader: executed, recovered, nothing launched twice.
func checkInFlightRecovered(t *testing.T, inFlight []simRequest, entries []transport.WALEntry, old *node) {
	t.Helper()
	if len(inFlight) != 1 || inFlight[0].Action != "RunInstances" {
		t.Errorf("want exactly one launch in flight at the cut, have %+v", inFlight)
		return
	}
	for _, s := range stories(entries) {
		if len(s.executing) == 0 || s.executing[0].Executing.ClientToken != inFlight[0].Token {
			continue
		}
		checkStory(t, s, "after-call", old.name)
		return
	}
	t.Errorf("no decision in the WAL has the in-flight launch's client token %s", inFlight[0].Token)
}

// uncoveredBefore returns the calls (made by n after the cut) that no
// intent of n stamped before the cut covers: n could no longer commit
// anything after the cut, so it may only finish calls whose intent was
// already committed.
func uncoveredBefore(calls []simRequest, entries []transport.WALEntry, n *node, cut time.Time) []string {
	var early []transport.WALEntry
	for _, e := range entries {
		if e.Record.Time.Before(cut) {
			early = append(early, e)
		}
	}
	return uncoveredCalls(calls, early, []*node{n})
}

// waitConvergedOn waits until the cloud holds the desired instances of
// every group and l's WAL has no decision without an outcome.
func (cl *cluster) waitConvergedOn(l *node, in infra, d time.Duration) {
	cl.t.Helper()
	waitFor(cl.t, "convergence on "+l.name, d, func() bool {
		ins := cl.cloud.instances()
		if liveIn(ins, "web") != in.web {
			return false
		}
		for i := 1; i <= in.extra; i++ {
			if liveIn(ins, fmt.Sprintf("batch-%d", i)) != 1 {
				return false
			}
		}
		entries, err := walOf(l, transport.Revision{})
		return err == nil && openDecisions(entries) == 0
	})
}

// checkPartitionOutcome asserts zero lost records, zero duplicate
// launches (each batch group launched exactly once, ever) and zero EC2
// calls without a committed intent.
func (cl *cluster) checkPartitionOutcome(w *witness, entries []transport.WALEntry, in infra) {
	t := cl.t
	t.Helper()
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Errorf("%d committed records lost:\n%s", lost, strings.Join(msgs, "\n"))
	}
	ins := cl.cloud.instances()
	for i := 1; i <= in.extra; i++ {
		g, n := fmt.Sprintf("batch-%d", i), 0
		for _, x := range ins {
			if x.Tags["ovi:group"] == g {
				n++
			}
		}
		if n != 1 {
			t.Errorf("group %s: %d instances launched, want exactly 1", g, n)
		}
	}
	if over, msgs := overLaunched(ins, entries); over != 0 {
		t.Errorf("duplicate launches: %s", strings.Join(msgs, "; "))
	}
	if bad := uncoveredCalls(cl.cloud.requests(), entries, cl.nodes); len(bad) != 0 {
		t.Errorf("EC2 calls without a committed intent:\n%s", strings.Join(bad, "\n"))
	}
}

// TestPartitionMinorityIsolated blackholes a follower's Raft links (bytes
// vanish, connections stay open: timeouts, not errors). The majority keeps
// serving: every note write succeeds and a change of the desired count is
// reconciled. After healing, the follower catches up with every record.
func TestPartitionMinorityIsolated(t *testing.T) {
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, true)
	nw := startNetwork(t, cl)
	cl.write(infra{web: 2})
	l := cl.start()
	cl.waitConverged(l, 2, 0, 90*time.Second)
	w := cl.watchWitness()

	f := others(cl.nodes, l)[0]
	before, _ := f.status()
	nw.isolate(f, blackhole)
	const writes = 60
	majority := others(cl.nodes, f)
	for i := range writes {
		n := majority[i%2]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := n.client.Note(ctx, transport.NoteRequest{ResourceID: "minority", Text: fmt.Sprintf("write %d", i)})
		cancel()
		if err != nil {
			t.Fatalf("write %d through %s while %s is isolated: %v", i, n.name, f.name, err)
		}
	}
	want := infra{web: 4}
	cl.write(want)
	cl.waitConvergedOn(l, want, 90*time.Second)
	if nl := leader(majority, 3); nl != l {
		t.Errorf("leadership moved while only a follower was isolated (leader %v)", nl)
	}
	during, _ := f.status()
	nw.heal()
	waitFor(t, f.name+" caught up after healing", 60*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	entries := replayCLI(t, bin, f)
	cl.checkPartitionOutcome(w, entries, want)
	notes := 0
	for _, e := range entries {
		if e.Record.Note != nil && e.Record.ResourceID == "minority" {
			notes++
		}
	}
	if notes != writes {
		t.Errorf("%s holds %d of the %d notes written while it was isolated", f.name, notes, writes)
	}
	t.Logf("follower %s blackholed (applied index %d before, %d during); majority served %d writes and a reconcile to %d instances; caught up to %d after healing",
		f.name, before.AppliedIndex, during.AppliedIndex, writes, want.web, len(entries))
}
