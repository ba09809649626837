//go:build e2e

package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// The store (state.db) commits without fsync. A power cut can spoil, of
// the file's pages, only those written since its last fsync; the sync
// marker beside it (state.db.sync, fsync'd each time it changes) says
// whether there are any. The cut here: kill -9 of all three agents at once
// (the data centre loses power), then for every store whose marker is dirty
// the test zeroes a random half of its pages — more than a power cut can
// do (it also spoils synced pages), because a dirty store is rebuilt
// whatever it holds: its content must not matter. raft.db and the
// snapshots are left as they are: they fsync before a write is
// acknowledged. Each agent then starts on a new boot (OVI_TEST_BOOT_ID).
// The in-process simulation with page-exact cuts and 100 rounds is
// fsm.TestPowerLossLosesNoAcknowledgedRecord.

// TestPowerLossLosesNoAcknowledgedNote cuts the power of a three-agent
// cluster under a write load three times; after each restart every note
// acknowledged before the cut is on every agent, exactly once.
func TestPowerLossLosesNoAcknowledgedNote(t *testing.T) {
	bin := binary(t)
	nodes, _ := clustertest.StartCluster(t, bin,
		"--snapshot-threshold", "64", "--snapshot-interval", "200ms", "--trailing-logs", "16")
	rng := rand.New(rand.NewPCG(14, 3))
	acked := &noteAcks{texts: make(map[string]uint64)}
	rebuilt := 0
	for round := range 3 {
		writers := writeUntil(t, nodes, acked, round, acked.count()+150+rng.IntN(150))
		for _, n := range nodes {
			n.Kill()
		}
		for _, n := range nodes {
			if spoilIfDirty(t, rng, filepath.Join(n.DataDir, "state.db")) {
				rebuilt++
			}
			n.Env = append(os.Environ(), fmt.Sprintf("OVI_TEST_BOOT_ID=after-cut-%d", round))
			n.Start()
		}
		clustertest.WaitFor(t, "a leader with 3 voters after the cut", 60*time.Second,
			func() bool { return clustertest.Leader(nodes, 3) != nil })
		writers.Wait() // a write still in flight may be acknowledged by the restarted cluster
		for _, n := range nodes {
			checkNotes(t, n, acked)
		}
	}
	t.Logf("3 power cuts, %d of 9 stores were dirty and rebuilt, %d notes acknowledged, none lost", rebuilt, acked.count())
	if rebuilt == 0 {
		t.Fatal("no store was dirty at a cut: the rebuild path was not exercised")
	}
}

// noteAcks are the acknowledged notes: text → revision.
type noteAcks struct {
	mu    sync.Mutex
	texts map[string]uint64
	max   uint64
}

func (a *noteAcks) add(text string, rev uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.texts[text], a.max = rev, max(a.max, rev)
}

func (a *noteAcks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.texts)
}

// writeUntil writes notes from 8 clients, each to one agent (followers
// forward), until target notes are acknowledged; it returns with the
// writers still writing (the cut lands among writes in flight), and the
// group they end in, a second later.
func writeUntil(t *testing.T, nodes []*clustertest.Node, acked *noteAcks, round, target int) *sync.WaitGroup {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var wg sync.WaitGroup
	for w := range 8 {
		c := nodes[w%len(nodes)].Client
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				text := fmt.Sprintf("cut%d-w%d-%d", round, w, seq)
				res, err := c.Note(ctx, transport.NoteRequest{Text: text})
				if err == nil {
					acked.add(text, res.Revision)
				}
			}
		}()
	}
	clustertest.WaitFor(t, fmt.Sprintf("%d acknowledged notes", target), 60*time.Second,
		func() bool { return acked.count() >= target })
	go func() { <-time.After(time.Second); cancel() }() // the writers outlive the cut briefly, then stop
	return &wg
}

// spoilIfDirty zeroes a random half of the store's pages when its marker
// says it was written since its last fsync, and reports whether it did.
func spoilIfDirty(t *testing.T, rng *rand.Rand, path string) bool {
	t.Helper()
	m, err := os.ReadFile(mvcc.MarkerPath(path))
	if err != nil {
		t.Fatalf("sync marker: %v", err)
	}
	if len(m) > 8 && m[8] == 1 { // clean: every page is on disk
		return false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for off := 0; off < len(b); off += page {
		if rng.IntN(2) == 0 {
			clear(b[off:min(off+page, len(b))])
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return true
}

// checkNotes waits until n has applied every acknowledged revision and
// checks that it holds each acknowledged note once, at its revision.
func checkNotes(t *testing.T, n *clustertest.Node, acked *noteAcks) {
	t.Helper()
	clustertest.WaitFor(t, n.Name+" to apply every acknowledged note", 60*time.Second, func() bool {
		st, ok := n.Status()
		return ok && st.AppliedIndex >= acked.max
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := n.Client.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindNote}, Consistency: transport.Stale})
	if err != nil {
		t.Fatalf("%s: read notes: %v", n.Name, err)
	}
	seen := make(map[string]uint64, len(res.Records))
	for _, e := range res.Records {
		if _, dup := seen[e.Record.Note.Text]; dup {
			t.Fatalf("%s holds note %q twice", n.Name, e.Record.Note.Text)
		}
		seen[e.Record.Note.Text] = e.Revision.Main
	}
	acked.mu.Lock()
	defer acked.mu.Unlock()
	for text, rev := range acked.texts {
		if got, ok := seen[text]; !ok || got != rev {
			t.Fatalf("%s lost acknowledged note %q (revision %d): found at %d (%v)", n.Name, text, rev, got, ok)
		}
	}
}
