//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// TestBackupRestoredIntoANewClusterGoesOn: the disaster recovery of
// docs/operations ("start a new cluster and ovi snapshot restore it") with
// a backup of a longer history than the new cluster's log. The first write
// after the restore lands after the backup's last revision and is held by
// every node at that revision; every node then restarts (SIGTERM, start)
// and serves it, and the next write goes on after it. Before the fix the
// write was acknowledged at a revision inside the backup's history and
// never stored, and a restarted node found its store ahead of its log.
func TestBackupRestoredIntoANewClusterGoesOn(t *testing.T) {
	bin := clustertest.Binary(t)
	ctx := clustertest.Context(t, 120*time.Second)
	snap, history := backupOf(ctx, t, bin, 40)
	nodes, l := clustertest.StartCluster(t, bin)
	if st, _ := l.Status(); st.AppliedIndex >= history {
		t.Fatalf("fixture: the new cluster is at %d, not behind the backup's %d", st.AppliedIndex, history)
	}
	f := clustertest.Followers(nodes, l)[0]
	if _, err := f.Client.Restore(ctx, bytes.NewReader(snap)); err != nil {
		t.Fatalf("restore through %s: %v", f.Name, err)
	}
	w, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: "after", Text: "first write after the restore"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Revision <= history {
		t.Errorf("first write after the restore at revision %d, inside the backup's history up to %d", w.Revision, history)
	}
	for _, n := range nodes {
		clustertest.WaitFor(t, n.Name+" to hold the write", 10*time.Second, func() bool { return noteAt(ctx, n, w.Revision) })
	}
	for _, n := range nodes {
		n.Stop(syscall.SIGTERM)
	}
	for _, n := range nodes {
		n.Start()
	}
	clustertest.WaitFor(t, "a leader with 3 voters after the restart", 30*time.Second, func() bool {
		l = clustertest.Leader(nodes, 3)
		return l != nil
	})
	for _, n := range nodes {
		clustertest.WaitFor(t, n.Name+" to serve the write after its restart", 10*time.Second, func() bool { return noteAt(ctx, n, w.Revision) })
	}
	next, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: "after", Text: "after the restart"})
	if err != nil || next.Revision <= w.Revision {
		t.Fatalf("write after the restart: %+v, %v (want after %d)", next, err, w.Revision)
	}
	t.Logf("backup at revision %d; first write after the restore at %d, after the restart at %d", history, w.Revision, next.Revision)
}

// backupOf is `ovi snapshot save` of a one-node cluster that recorded n
// notes, and its applied index.
func backupOf(ctx context.Context, t *testing.T, bin string, n int) ([]byte, uint64) {
	t.Helper()
	src := clustertest.NewNode(t, bin, "src", "--bootstrap-expect", "1")
	src.Start()
	clustertest.WaitFor(t, "the backup's leader", 30*time.Second, func() bool {
		return clustertest.Leader([]*clustertest.Node{src}, 1) != nil
	})
	for i := range n {
		if _, err := src.Client.Note(ctx, transport.NoteRequest{ResourceID: fmt.Sprintf("n-%d", i), Text: "before"}); err != nil {
			t.Fatal(err)
		}
	}
	var snap bytes.Buffer
	if _, err := src.Client.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	st, ok := src.Status()
	if !ok {
		t.Fatal("the backup's node does not answer")
	}
	src.Stop(syscall.SIGTERM)
	return snap.Bytes(), st.AppliedIndex
}

// noteAt reports whether n's own store (a stale read) holds the note
// "after" last written at revision rev.
func noteAt(ctx context.Context, n *clustertest.Node, rev uint64) bool {
	st, err := n.Client.State(ctx, transport.StateQuery{Prefix: "notes/after", Consistency: transport.Stale})
	if err != nil {
		return false
	}
	for _, e := range st.Entries {
		if e.ModRevision.Main == rev && e.Record.Note != nil {
			return true
		}
	}
	return false
}
