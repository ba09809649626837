//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// retentionInterval is the schedule of the retention e2e test.
const retentionInterval = 3 * time.Second

// writeNotes adds a note every 50 ms through whichever node answers, until
// stop: the history the retention keeps moving.
func writeNotes(ctx context.Context, nodes []*clustertest.Node, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond): // the pace of the writer, not a wait for a condition
		}
		for _, n := range nodes {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			_, err := n.Client.Note(cctx, transport.NoteRequest{ResourceID: "k", Text: fmt.Sprint(i)})
			cancel()
			if err == nil {
				break
			}
		}
	}
}

// With retention on, kill -9 of the leader between two runs neither
// skips a run nor doubles one: the schedule is read from the log, so the
// new leader runs one interval after the last compaction record
// committed (at once, if that has passed during the election), and the
// compaction points only move forward, on every node alike.
func TestRetentionScheduleSurvivesLeaderKill(t *testing.T) {
	nodes, l := clustertest.StartCluster(t, clustertest.Binary(t),
		"--retention-history", "1s", "--retention-interval", retentionInterval.String())
	ctx := clustertest.Context(t, 120*time.Second)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); writeNotes(ctx, nodes, stop) }()
	defer func() { close(stop); <-done }()
	var first []transport.WALEntry
	clustertest.WaitForSeen(t, "two retention runs by the first leader", 30*time.Second, func() (bool, string) {
		first = recordsOf(ctx, t, l.Client, wal.KindCompaction)
		return len(first) >= 2, fmt.Sprint(len(first), " compaction records")
	})
	// Kill it shortly before its next run is due: the new leader is
	// elected after that moment, so it must run at once, not an interval
	// after its election.
	due := first[len(first)-1].Record.Time.Add(retentionInterval)
	clustertest.WaitFor(t, "the moment before the next run", 2*retentionInterval, func() bool {
		return time.Now().After(due.Add(-700 * time.Millisecond))
	})
	l.Stop(syscall.SIGKILL)
	rest := clustertest.Followers(nodes, l)
	var nl *clustertest.Node
	clustertest.WaitFor(t, "a new leader", 30*time.Second, func() bool { nl = clustertest.Leader(rest, 3); return nl != nil })
	elected := time.Now()
	var recs []transport.WALEntry
	clustertest.WaitForSeen(t, "two retention runs by the new leader", 30*time.Second, func() (bool, string) {
		recs = recordsOf(ctx, t, nl.Client, wal.KindCompaction)
		return countBy(recs, nl.Name) >= 2, fmt.Sprint(countBy(recs, nl.Name), " by the new leader")
	})
	checkSchedule(t, recs, l.Name, nl.Name, elected)
	last := recs[len(recs)-1].Record.Compaction.Revision
	clustertest.WaitFor(t, "every live node compacted alike", 10*time.Second, func() bool {
		for _, n := range rest {
			st, err := n.Client.State(ctx, transport.StateQuery{Consistency: transport.Stale})
			if err != nil || st.Compacted < last {
				return false
			}
		}
		return true
	})
}

func countBy(recs []transport.WALEntry, node string) int {
	n := 0
	for _, r := range recs {
		if r.Record.Node == node {
			n++
		}
	}
	return n
}

// checkSchedule: runs at least an interval apart (no double), the run
// after the kill an interval after the last one or right after the
// election, whichever is later (no skip), each from the retention policy,
// each compacting further than the one before.
func checkSchedule(t *testing.T, recs []transport.WALEntry, old, nl string, elected time.Time) {
	t.Helper()
	const slack = 1500 * time.Millisecond // a planning round; on the new leader its barrier and leadership record
	for i := 1; i < len(recs); i++ {
		prev, cur := recs[i-1].Record, recs[i].Record
		gap := cur.Time.Sub(prev.Time)
		if cur.Compaction.Policy != "retention history=1s" || cur.Compaction.Revision <= prev.Compaction.Revision {
			t.Errorf("record %d: %+v after %+v: want the policy, compacting further", i, cur.Compaction, prev.Compaction)
		}
		if gap < retentionInterval {
			t.Errorf("runs %d and %d (%s, %s) only %s apart: a run doubled", i-1, i, prev.Node, cur.Node, gap)
		}
		limit := retentionInterval + slack
		if prev.Node == old && cur.Node == nl {
			limit = max(retentionInterval, elected.Sub(prev.Time)) + slack
		}
		if gap > limit {
			t.Errorf("runs %d and %d (%s, %s) %s apart, more than %s: a run was skipped", i-1, i, prev.Node, cur.Node, gap, limit)
		}
		t.Logf("run %d by %s: history from %d, %s after the previous", i, cur.Node, cur.Compaction.Revision, gap)
	}
	if countBy(recs, old) < 2 {
		t.Fatalf("the old leader's runs are missing from the log: %+v", recs)
	}
}
