//go:build e2e

package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/transport"
)

// overwriteRaftPages damages a stopped node's raft.db: from page 2 (past
// bbolt's two meta pages) up to the high-water mark, every page's body
// (wholePages false: the 16-byte page headers survive, so bbolt's page-id
// checks pass and its reads run off the end of slices) or every whole
// page is overwritten with random bytes. It returns the pages damaged.
func overwriteRaftPages(t *testing.T, path string, wholePages bool, seed uint64) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	err = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	pageSize := int64(db.Info().PageSize)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	from := int64(16)
	if wholePages {
		from = 0
	}
	pages := 0
	for p := int64(2); (p+1)*pageSize <= used; p++ {
		for i := p*pageSize + from; i < (p+1)*pageSize; i++ {
			data[i] = byte(rng.Uint32())
		}
		pages++
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestCorruptRaftLogRefusedAtStart damages the Raft log (raft.db) of two
// stopped followers in turn — page bodies on one, whole pages on the
// other. Each restart must fail with exit status 1 and one "ovi:" line
// naming the file and the recovery, never a panic or "this is a bug in
// ovi". Then the recovery it names is followed: remove-peer on the
// leader, remove the node's raft directory, start it: it rejoins as a
// voter and ends with every record the others have.
func TestCorruptRaftLogRefusedAtStart(t *testing.T) {
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 1})
	l := cl.start()
	cl.waitConverged(l, 1, 0, 90*time.Second)
	for j := range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := l.client.Note(ctx, transport.NoteRequest{ResourceID: "raftdb", Text: fmt.Sprint(j, strings.Repeat(" x", 100))})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every node caught up", 30*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	w := newWitness()
	w.add(l.name, mustWAL(t, l))
	for i, f := range others(cl.nodes, l) {
		whole := i == 1
		refuseCorruptRaftLog(t, f, whole)
		l = recoverCorruptRaftLog(t, cl, l, f)
	}
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Fatalf("after both resyncs, %d records missing:\n%s", lost, strings.Join(msgs, "\n"))
	}
	t.Logf("both followers resynced %d records", len(mustWAL(t, l)))
}

// refuseCorruptRaftLog stops f, damages its raft.db and expects the
// restart to fail with one line.
func refuseCorruptRaftLog(t *testing.T, f *node, wholePages bool) {
	t.Helper()
	db := filepath.Join(f.dataDir, "raft", "raft.db")
	f.kill()
	pages := overwriteRaftPages(t, db, wholePages, uint64(len(f.name)))
	start := time.Now()
	f.start()
	select {
	case <-f.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the agent started on a damaged raft.db", f.name)
	}
	out := f.log()
	lines := grepLines(out, "ovi: ")
	if code := f.cmd.ProcessState.ExitCode(); code != 1 || len(lines) != 1 || !strings.Contains(lines[0], db) ||
		!strings.Contains(lines[0], "raft log is corrupt") || !strings.Contains(lines[0], "remove-peer "+f.name) ||
		strings.Contains(out, "panic") || strings.Contains(out, "bug in ovi") || strings.Contains(out, "goroutine ") {
		t.Fatalf("%s: want exit 1 and one line naming %s, got exit %d and:\n%s", f.name, db, code, headOf(out))
	}
	t.Logf("%s: %d pages overwritten (whole pages: %v); refused in %s with exit 1: %s",
		f.name, pages, wholePages, time.Since(start).Round(time.Millisecond), lines[0])
}

// recoverCorruptRaftLog follows the error's recovery for f and returns
// the leader.
func recoverCorruptRaftLog(t *testing.T, cl *cluster, l, f *node) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := l.client.RemovePeer(ctx, transport.RemovePeerRequest{ID: f.name}); err != nil {
		t.Fatalf("remove-peer %s: %v", f.name, err)
	}
	if err := os.RemoveAll(filepath.Join(f.dataDir, "raft")); err != nil {
		t.Fatal(err)
	}
	l = cl.restart(f)
	waitFor(t, f.name+" a voter again", 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		peers, err := l.client.RaftPeers(ctx)
		if err != nil {
			return false
		}
		for _, p := range peers.Peers {
			if p.ID == f.name && p.Suffrage == "voter" {
				return true
			}
		}
		return false
	})
	return l
}
