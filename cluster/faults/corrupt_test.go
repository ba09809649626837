//go:build e2e

package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// corruption damages a stopped node's state store.
type corruption struct {
	name string
	do   func(t *testing.T, path string)
}

func corruptions() []corruption {
	return []corruption{
		{"truncated to half its data", func(t *testing.T, path string) {
			// The file is preallocated; cut the pages in use, not the
			// free tail.
			db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var used int64
			err = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, used/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"first 8 KiB overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			junk := []byte(strings.Repeat("corrupt!", 1024))
			if _, err := f.WriteAt(junk, 0); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}},
	}
}

// TestCorruptStateFileRefusedAtStart damages a follower's state store
// (state.db: both bbolt meta pages overwritten) while it is down.
// Restarted, the agent must refuse to start with one line naming the file
// — never serve what it holds. Removing the damaged file and starting
// again resyncs it from its Raft log and its peers: it ends with every
// record the others have.
func TestCorruptStateFileRefusedAtStart(t *testing.T) {
	refusedAndResynced(t, corruptions()[1])
}

// TestTruncatedStateFileRefusedAtStart is the same with state.db cut to
// half of its data. bbolt's meta pages survive a truncation, so bbolt
// alone would open it and later panic (or SIGBUS) reading past the end;
// mvcc checks the size its meta pages promise before bbolt maps the file.
func TestTruncatedStateFileRefusedAtStart(t *testing.T) {
	refusedAndResynced(t, corruptions()[0])
}

// refusedAndResynced damages a stopped follower's state.db, expects the
// restart to fail with one line naming the file, then removes the file
// and expects a full resync.
func refusedAndResynced(t *testing.T, cr corruption) {
	cl, l := webCluster(t)
	f := others(cl.nodes, l)[0]
	db := filepath.Join(f.dataDir, "state.db")
	w := notesWitnessed(t, cl, l, "corrupt", 20, func(j int) string { return fmt.Sprint(j) })
	f.Kill()
	cr.do(t, db)
	f.start()
	select {
	case <-f.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the agent started on a state store %s", f.name, cr.name)
	}
	lines := grepLines(f.Log(), db)
	if f.ExitErr() == nil || len(lines) == 0 || strings.Contains(f.Log(), "panic:") {
		t.Fatalf("%s: want a failed start with one line naming %s, got %v and log:\n%s", cr.name, db, f.ExitErr(), headOf(f.Log()))
	}
	t.Logf("%s: refused: %s", cr.name, lines[len(lines)-1])
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	cl.restart(f)
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Fatalf("%s: after the resync, %d records missing:\n%s", cr.name, lost, strings.Join(msgs, "\n"))
	}
	t.Logf("%s: state.db removed, the agent resynced %d records from its Raft log and peers", cr.name, len(mustWAL(t, f)))
}

// notesWitnessed writes n notes on resource id (text(j) the j-th) through
// l, waits until every node has applied them and returns a witness of l's
// WAL.
func notesWitnessed(t *testing.T, cl *cluster, l *node, id string, n int, text func(j int) string) *witness {
	t.Helper()
	for j := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := l.client.Note(ctx, transport.NoteRequest{ResourceID: id, Text: text(j)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every node caught up", 30*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	w := newWitness()
	w.add(l.name, mustWAL(t, l))
	return w
}

// headOf is a log up to its first goroutine dump.
func headOf(s string) string {
	if i := strings.Index(s, "goroutine "); i >= 0 {
		s = s[:i]
	}
	return clustertest.Tail(s, 3000)
}

func mustWAL(t *testing.T, n *node) []transport.WALEntry {
	t.Helper()
	entries, err := walOf(n, transport.Revision{})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
