//go:build e2e

package faults

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	ovicluster "github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/transport"
)

// The stall tests freeze one agent with SIGSTOP (a GC pause, a stuck
// fsync, a VM steal or a scheduler stall, seen from its peers) and let it
// go with SIGCONT. The agents run with the default Raft timeouts
// (cluster.DefaultHeartbeatTimeout, the election timeout and the lease
// equal to it). A heartbeat goes out every heartbeat_timeout/10 to /5, so
// a stall shorter than about 0.8 of the timeout must not cost an
// election; a leader stalled for longer must cost exactly one, and a
// follower stalled for longer none (pre-vote: the others still hear from
// their leader and refuse it).
const (
	heartbeatTimeout = ovicluster.DefaultHeartbeatTimeout
	shortStall       = heartbeatTimeout / 4
	longStall        = 4 * heartbeatTimeout
)

// raftEvents are the log lines of elections (hashicorp/raft's messages).
const (
	evElectionWon = "election won"
	evCandidate   = "entering candidate state"
	evTimeout     = "heartbeat timeout reached"
)

// stall stops n's process for d (the fault itself, not a wait for a
// condition) and continues it.
func (n *node) stall(d time.Duration) {
	n.t.Helper()
	if err := n.Signal(syscall.SIGSTOP); err != nil {
		n.t.Fatalf("SIGSTOP %s: %v", n.name, err)
	}
	time.Sleep(d)
	if err := n.Signal(syscall.SIGCONT); err != nil {
		n.t.Fatalf("SIGCONT %s: %v", n.name, err)
	}
}

// logTimes returns the times of the lines of n's current log that
// contain what (slog's time= field).
func logTimes(t *testing.T, n *node, what string) []time.Time {
	t.Helper()
	f, err := os.Open(n.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, what) || !strings.HasPrefix(line, "time=") {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			t.Fatalf("%s: log line without a time: %q", n.name, line)
		}
		out = append(out, at)
	}
	return out
}

// eventsSince counts the lines containing what in every node's log at
// or after since.
func eventsSince(t *testing.T, nodes []*node, what string, since time.Time) int {
	t.Helper()
	c := 0
	for _, n := range nodes {
		for _, at := range logTimes(t, n, what) {
			if !at.Before(since) {
				c++
			}
		}
	}
	return c
}

// noteThrough writes a note through n (forwarded when n follows).
func noteThrough(t *testing.T, n *node, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.client.Note(ctx, transport.NoteRequest{ResourceID: "stall", Text: text}); err != nil {
		t.Fatalf("note through %s: %v", n.name, err)
	}
}

// settled writes through every node after the stall and waits until all
// of them applied the last write, every follower heard from the leader
// after resumed, and all agree on the leader l.
func (cl *cluster) settled(l *node, resumed time.Time) {
	cl.t.Helper()
	for i, n := range cl.nodes {
		noteThrough(cl.t, n, fmt.Sprintf("after the stall %d", i))
	}
	waitFor(cl.t, "every node caught up after the stall", 30*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	waitFor(cl.t, "every follower in contact again", 30*time.Second, func() bool {
		for _, n := range others(cl.nodes, l) {
			st, ok := n.status()
			if !ok || st.LastContact == nil || st.LastContact.Before(resumed) || st.Leader == nil || st.Leader.Name != l.name {
				return false
			}
		}
		return true
	})
}

// terms returns every node's Raft term.
func (cl *cluster) terms() []uint64 {
	cl.t.Helper()
	var out []uint64
	for _, n := range cl.nodes {
		st, ok := n.status()
		if !ok {
			cl.t.Fatalf("%s does not answer", n.name)
		}
		out = append(out, st.Term)
	}
	return out
}

// TestStallShorterThanHeartbeatTimeout stops the leader, then a follower,
// for a quarter of the heartbeat timeout: no node may start an election,
// the term and the leader stay, and writes through every node commit.
func TestStallShorterThanHeartbeatTimeout(t *testing.T) {
	cl, l := webCluster(t)
	before := cl.terms()
	mark := time.Now()
	for _, n := range []*node{l, others(cl.nodes, l)[0]} {
		n.stall(shortStall)
		cl.settled(l, time.Now())
	}
	after := cl.terms()
	if nl := leader(cl.nodes, 3); nl != l {
		t.Errorf("leadership moved from %s to %v after stalls of %s", l.name, nl, shortStall)
	}
	for i := range after {
		if after[i] != before[i] {
			t.Errorf("%s: term %d → %d after stalls of %s", cl.nodes[i].name, before[i], after[i], shortStall)
		}
	}
	for _, ev := range []string{evTimeout, evCandidate, evElectionWon} {
		if c := eventsSince(t, cl.nodes, ev, mark); c != 0 {
			t.Errorf("%d %q lines after stalls of %s, want none", c, ev, shortStall)
		}
	}
	t.Logf("leader %s and follower stalled %s each (heartbeat timeout %s): term %v throughout, no election",
		l.name, shortStall, heartbeatTimeout, after)
}

// TestLeaderStallLongerThanHeartbeatTimeout stops the leader for four
// heartbeat timeouts: the others elect exactly one new leader while it is
// stopped; once continued, the old leader follows it, nobody elects again,
// and the cluster converges on a change of the desired state.
func TestLeaderStallLongerThanHeartbeatTimeout(t *testing.T) {
	cl, old := webCluster(t)
	mark := time.Now()
	if err := old.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	var nl *node
	waitFor(t, "a leader among the others", 30*time.Second, func() bool { nl = leader(others(cl.nodes, old), 3); return nl != nil })
	elected := time.Since(stopped)
	if err := old.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	waitFor(t, old.name+" following "+nl.name, 30*time.Second, func() bool {
		st, ok := old.status()
		return ok && st.State == "Follower" && st.Leader != nil && st.Leader.Name == nl.name
	})
	cl.settled(nl, resumed)
	want := infra{web: 2}
	cl.write(want)
	cl.waitConverged(nl, want.web, 0, 90*time.Second)
	if won := eventsSince(t, cl.nodes, evElectionWon, mark); won != 1 {
		t.Errorf("%d elections won after the leader's stall, want exactly 1", won)
	}
	if l := leader(cl.nodes, 3); l != nl {
		t.Errorf("leader %v after convergence, want %s (elected during the stall)", l, nl.name)
	}
	if !strings.Contains(old.Log(), "leadership lost") {
		t.Errorf("%s's log does not say it lost leadership", old.name)
	}
	t.Logf("leader %s stopped; %s elected %s after (heartbeat timeout %s); %s continued and follows; one election, converged to %d instances",
		old.name, nl.name, elected.Round(time.Millisecond), heartbeatTimeout, old.name, want.web)
}

// TestFollowerStallLongerThanHeartbeatTimeout stops a follower for four
// heartbeat timeouts while writes go on: the leader keeps its quorum, and
// the follower, continued with a leader silent for longer than its
// heartbeat timeout, may campaign, but its pre-vote is refused by a peer
// that still hears from the leader: no election is won, the term stays,
// and the follower catches up.
func TestFollowerStallLongerThanHeartbeatTimeout(t *testing.T) {
	cl, l := webCluster(t)
	f := others(cl.nodes, l)[0]
	before := cl.terms()
	mark := time.Now()
	if err := f.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	for i := 0; time.Since(stopped) < longStall; i++ {
		noteThrough(t, l, fmt.Sprintf("during the stall %d", i)) // the majority commits meanwhile
	}
	if err := f.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	cl.settled(l, time.Now())
	after := cl.terms()
	if nl := leader(cl.nodes, 3); nl != l {
		t.Errorf("leadership moved from %s to %v after a follower's stall", l.name, nl)
	}
	for i := range after {
		if after[i] != before[i] {
			t.Errorf("%s: term %d → %d after a follower's stall of %s", cl.nodes[i].name, before[i], after[i], longStall)
		}
	}
	if won := eventsSince(t, cl.nodes, evElectionWon, mark); won != 0 {
		t.Errorf("%d elections won after a follower's stall, want none", won)
	}
	t.Logf("follower %s stopped for %s (heartbeat timeout %s): leader %s kept, term %v, %d campaigns refused by pre-vote",
		f.name, time.Since(stopped).Round(time.Millisecond), heartbeatTimeout, l.name, after,
		eventsSince(t, cl.nodes, evCandidate, mark))
}
