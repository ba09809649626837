//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// recordsOf returns the audit records of kind k the node sees (consistent
// read, so through the leader).
func recordsOf(ctx context.Context, t *testing.T, c *transport.Client, k wal.Kind) []transport.WALEntry {
	t.Helper()
	resp, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{k}, Consistency: transport.Consistent})
	if err != nil {
		t.Fatalf("wal %s: %v", k, err)
	}
	return resp.Records
}

// A snapshot restore, asked of a follower, rewinds history and leaves one
// restore record after the rewound range: the snapshot, both revisions,
// the records dropped and the node that took the request.
func TestRestoreIsAudited(t *testing.T) {
	nodes, l := clustertest.StartCluster(t, clustertest.Binary(t))
	f := clustertest.Followers(nodes, l)[0]
	ctx := clustertest.Context(t, 60*time.Second)
	clustertest.WaitFor(t, "the leadership record", 10*time.Second, func() bool {
		return len(recordsOf(ctx, t, l.Client, wal.KindLeadership)) == 1
	})
	before, err := l.Client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if _, err := l.Client.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"a", "b", "c"} {
		if _, err := l.Client.Note(ctx, transport.NoteRequest{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Client.Restore(ctx, bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatalf("restore through %s: %v", f.Name, err)
	}
	recs := recordsOf(ctx, t, f.Client, wal.KindRestore)
	if len(recs) != 1 || recs[0].Record.Restore == nil {
		t.Fatalf("restore records: %+v", recs)
	}
	r := recs[0].Record.Restore
	if r.Dropped != 3 || r.ToRevision != before.AppliedIndex || r.ToRevision >= r.FromRevision || r.Scope != "open" || recs[0].Record.Node != l.Name {
		t.Fatalf("restore record %+v by %s, want 3 dropped, rewound, open scope, by %s", r, recs[0].Record.Node, l.Name)
	}
	if recs[0].Revision.Main <= r.FromRevision {
		t.Fatalf("restore record at %v, inside the rewound range (to %d from %d)", recs[0].Revision, r.ToRevision, r.FromRevision)
	}
	t.Logf("restore %+v at %v", r, recs[0].Revision)
}

// After kill -9 of the leader, the new leader records one leadership
// record of its term, naming the leader before it.
func TestLeadershipChangeIsAudited(t *testing.T) {
	nodes, l := clustertest.StartCluster(t, clustertest.Binary(t))
	ctx := clustertest.Context(t, 60*time.Second)
	clustertest.WaitFor(t, "the first leadership record", 10*time.Second, func() bool {
		return len(recordsOf(ctx, t, l.Client, wal.KindLeadership)) == 1
	})
	l.Stop(syscall.SIGKILL)
	rest := clustertest.Followers(nodes, l)
	var nl *clustertest.Node
	clustertest.WaitFor(t, "a new leader", 30*time.Second, func() bool { nl = clustertest.Leader(rest, 3); return nl != nil })
	st, err := nl.Client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recs []transport.WALEntry
	clustertest.WaitForSeen(t, "the new leader's record", 10*time.Second, func() (bool, string) {
		recs = recordsOf(ctx, t, nl.Client, wal.KindLeadership)
		return len(recs) == 2, "records: " + strconv.Itoa(len(recs))
	})
	got := recs[1].Record
	if got.Term != st.Term || got.Node != nl.Name || got.Leadership.Leader != nl.Name || got.Leadership.Previous != l.Name {
		t.Fatalf("leadership record %+v %+v, want term %d led by %s after %s", got, got.Leadership, st.Term, nl.Name, l.Name)
	}
	if recs[0].Record.Term >= got.Term {
		t.Fatalf("terms %d then %d", recs[0].Record.Term, got.Term)
	}
	t.Logf("%s", got.Describe())
}
