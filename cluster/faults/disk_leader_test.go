//go:build e2e

package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// ackedWriter writes notes through whichever node leads, one at a time,
// and remembers every note the cluster acknowledged.
type ackedWriter struct {
	mu     sync.Mutex
	acked  []string
	failed int
}

// run writes until stop is closed.
func (w *ackedWriter) run(nodes []*node, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		text := fmt.Sprintf("leader-disk %d", i)
		if w.writeOnce(nodes, text) {
			w.mu.Lock()
			w.acked = append(w.acked, text)
			w.mu.Unlock()
			continue
		}
		w.mu.Lock()
		w.failed++
		w.mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeOnce writes text through the first node that leads, by its own
// status; it reports whether the write was acknowledged.
func (w *ackedWriter) writeOnce(nodes []*node, text string) bool {
	for _, n := range nodes {
		if st, ok := n.status(); !ok || st.State != "Leader" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := n.client.Note(ctx, transport.NoteRequest{ResourceID: "leader-disk", Text: text})
		cancel()
		return err == nil
	}
	return false
}

// counts is the number of acknowledged and failed writes so far.
func (w *ackedWriter) counts() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked), w.failed
}

// TestLeaderDiskFull takes the disk away from the leader while a client
// keeps writing (through whichever node leads). The leader cannot append
// to its log: it must stop acknowledging (it steps down, or stops) and the
// others elect a leader that serves the writes. When space returns (and
// the old leader is started again if it stopped), every node must hold
// every acknowledged note — nothing acknowledged is lost.
func TestLeaderDiskFull(t *testing.T) { eachLogStore(t, leaderDiskFull) }

func leaderDiskFull(t *testing.T, store string) {
	cl, fault, l, wit := startDiskCluster(t, store)
	var w ackedWriter
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); w.run(cl.nodes, stop) }()
	waitFor(t, "writes flowing", 30*time.Second, func() bool { n, _ := w.counts(); return n >= 20 })

	wonAtFill := strings.Count(l.Log(), "election won")
	fault.fill(t, l)
	full := time.Now()
	ackedAtFill, _ := w.counts()
	var nl *node
	// The full node either steps down (its log append fails first) or
	// stops (its state store's write fails first: the agent exits, and
	// leaves the Raft configuration as it goes); either way another node
	// leads, with 3 voters or 2.
	waitFor(t, "another node leads and acknowledges writes", 60*time.Second, func() bool {
		nl = leader(others(cl.nodes, l), 3)
		if nl == nil {
			nl = leader(others(cl.nodes, l), 2)
		}
		n, _ := w.counts()
		return nl != nil && n >= ackedAtFill+50
	})
	failover := time.Since(full)
	st, up := l.status()
	oldState := "stopped"
	if up {
		oldState = st.State
	}
	if up && st.State == "Leader" {
		t.Fatalf("%s still leads with a full disk", l.name)
	}
	// A node whose log refuses appends does not campaign (cluster's
	// campaign gate): once it stepped down it wins no election.
	if won := strings.Count(l.Log(), "election won") - wonAtFill; up && won > 0 {
		t.Errorf("%s won %d elections with its disk full (another leads after %s)", l.name, won, failover.Round(time.Millisecond))
	}
	fault.release(t, l)
	// Stepped down, it catches up by itself; stopping, it exits.
	waitFor(t, l.name+" caught up or exited", 60*time.Second, func() bool {
		return !l.Running() || caughtUp([]*node{l}, nl)
	})
	if !l.Running() {
		t.Logf("%s stopped with its disk full: %s", l.name, lastLine(l.Log()))
		cl.restart(l)
	}
	close(stop)
	<-done
	acked, failed := w.counts()
	nl = cl.waitLeader(60 * time.Second)
	waitFor(t, "every node caught up", 60*time.Second, func() bool { return caughtUp(cl.nodes, nl) })
	if lost, msgs := wit.verify(t, cl.nodes); lost != 0 {
		t.Errorf("%d committed records lost:\n%s", lost, strings.Join(msgs, "\n"))
	}
	missing := missingNotes(t, cl.nodes, w.acked)
	if missing != 0 {
		t.Errorf("%d of %d acknowledged notes missing on some node", missing, acked)
	}
	errs := grepLines(l.Log(), fault.errText())
	t.Logf("%s (leader): %s; %s after %s (state %s), %s leads; %d writes acknowledged (%d after the fill), %d failed or refused; first error: %s; acknowledged notes missing: %d",
		l.name, fault.name(), "another leader acknowledging", failover.Round(time.Millisecond), oldState, nl.name,
		acked, acked-ackedAtFill, failed, firstOr(errs, "-"), missing)
}

// missingNotes counts, over every node, the acknowledged notes its WAL
// does not hold.
func missingNotes(t *testing.T, nodes []*node, acked []string) int {
	t.Helper()
	missing := 0
	for _, n := range nodes {
		have := map[string]bool{}
		for _, e := range mustWAL(t, n) {
			if e.Record.Note != nil && e.Record.ResourceID == "leader-disk" {
				have[e.Record.Note.Text] = true
			}
		}
		for _, text := range acked {
			if !have[text] {
				missing++
			}
		}
	}
	return missing
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
