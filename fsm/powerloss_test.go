package fsm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// The power-loss simulation. A store that commits without fsync lives in
// the kernel's page cache until it is synced. A power cut keeps, of every
// 4 KiB page written since the last fsync, either the new content or the
// old (the disk wrote some pages back and not others, in any order), and
// may lose the file's growth past its synced size. powerCut builds such a
// disk image from the file at its last fsync (synced) and the kernel's
// view when the power went (current), choosing each differing page at
// random. The Raft log and the snapshots are kept as they are: they fsync
// before a write is acknowledged (the log store's own crash safety is
// bbolt's fsync'd commit, tested with the log store). The sync marker is
// kept as it is too: it is fsync'd each time it is written.
const simPage = 4096

func powerCut(rng *rand.Rand, synced, current []byte) []byte {
	n := len(current)
	if grow := (len(current) - len(synced)) / simPage; grow > 0 && rng.IntN(2) == 0 {
		n = len(synced) + simPage*rng.IntN(grow+1) // the size reached the disk only in part
	}
	out := make([]byte, n)
	for off := 0; off < n; off += simPage {
		end := min(off+simPage, n)
		var old []byte
		if off < len(synced) {
			old = synced[off:min(end, len(synced))]
		}
		if cur := current[off:end]; bytes.Equal(old, cur) || rng.IntN(2) == 0 {
			copy(out[off:end], cur) // written back (or unchanged)
		} else {
			copy(out[off:end], old) // never reached the disk (zeros past the synced size)
		}
	}
	return out
}

// plNode is one life of the simulated node: its store (deferred sync,
// synced only when the test says so) and Raft.
type plNode struct {
	store  *mvcc.Store
	raft   *raft.Raft
	synced []byte // the store file at its last fsync
}

func startPowerNode(t *testing.T, path, boot string, st raftStores) (*plNode, bool) {
	t.Helper()
	// Buffered commits as the agent runs them (store_commit_interval), on a
	// short schedule so the cuts land both before and after writes of the buffer.
	store, rebuilt, err := OpenStore(path, mvcc.Options{SyncInterval: time.Hour, CommitInterval: 2 * time.Millisecond, BootID: boot}, nil)
	if err != nil {
		t.Fatalf("open store on %s: %v", boot, err)
	}
	n := &plNode{store: store, synced: readFile(t, path)} // Open synced it
	snaps, err := st.snaps.List()
	if err != nil {
		t.Fatal(err)
	}
	applied, _ := store.AppliedIndex()
	if err := CheckReplay(applied, snaps, st.logs); err != nil {
		t.Fatalf("check replay: %v", err)
	}
	conf := raftConfig(64)
	conf.NoSnapshotRestoreOnStart = !RestoreOnStart(applied, snaps)
	conf.TrailingLogs = 32 // the log is truncated soon after each snapshot
	conf.HeartbeatTimeout, conf.ElectionTimeout, conf.LeaderLeaseTimeout = 20*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
	n.raft = startRaft(t, New(store, nil), st, conf)
	return n, rebuilt
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncPoint makes the store durable with nothing in flight (directly, or
// through a Raft snapshot, which syncs first and then lets Raft truncate
// the log) and records the synced file.
func (n *plNode) syncPoint(t *testing.T, path string, snapshot bool) {
	t.Helper()
	if err := n.raft.Barrier(10 * time.Second).Error(); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	var err error
	if snapshot {
		err = n.raft.Snapshot().Error()
	} else {
		err = n.store.Sync()
	}
	if err != nil {
		t.Fatalf("sync point (snapshot %v): %v", snapshot, err)
	}
	n.synced = readFile(t, path)
}

// acks collects the acknowledged records: text → the index they were
// committed at.
type acks struct {
	mu   sync.Mutex
	recs map[string]uint64
	max  uint64
	cut  bool // the power is off: nothing more is acknowledged
}

func (a *acks) add(index uint64, texts []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cut {
		return
	}
	for _, s := range texts {
		a.recs[s] = index
	}
	a.max = max(a.max, index)
}

func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.recs)
}

// propose runs proposers until ctx ends, each committing batches of one to
// three notes and recording the acknowledged ones.
func propose(ctx context.Context, r *raft.Raft, round, proposers int, a *acks) *sync.WaitGroup {
	var wg sync.WaitGroup
	for p := range proposers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				var recs []wal.Record
				var texts []string
				for k := range 1 + seq%3 {
					text := fmt.Sprintf("r%d-p%d-%d-%d", round, p, seq, k)
					recs = append(recs, noteRec(fmt.Sprintf("i-%d", seq%7), text))
					texts = append(texts, text)
				}
				data, err := wal.EncodeBatch(&wal.Batch{Records: recs})
				if err != nil {
					return
				}
				fut := r.Apply(data, 5*time.Second)
				if fut.Error() != nil {
					return // shut down mid-flight: not acknowledged
				}
				if res, ok := fut.Response().(ApplyResult); ok && res.Err == nil {
					a.add(fut.Index(), texts)
				}
			}
		}()
	}
	return &wg
}

// verifyAcked waits until the store has applied every acknowledged index
// and checks that it holds each acknowledged record exactly once.
func verifyAcked(t *testing.T, n *plNode, a *acks) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.store.WaitApplied(ctx, a.max); err != nil {
		t.Fatalf("catch up to acknowledged index %d: %v", a.max, err)
	}
	recs, err := n.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindNote}})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]uint64, len(recs))
	for _, r := range recs {
		if _, dup := seen[r.Record.Note.Text]; dup {
			t.Fatalf("record %q stored twice", r.Record.Note.Text)
		}
		seen[r.Record.Note.Text] = r.Revision.Main
	}
	for text, index := range a.recs {
		if got, ok := seen[text]; !ok || got != index {
			t.Fatalf("acknowledged record %q (index %d) lost: found at %d (%v)", text, index, got, ok)
		}
	}
}

// TestPowerLossLosesNoAcknowledgedRecord runs 100 lives of a node whose
// store commits without fsync. In each, proposers write while the test
// makes the store durable at random points (a sync, or a Raft snapshot
// that also truncates the log); then the power is cut at a random moment
// while writes are in flight (powerCut), and the node restarts on a new
// boot from that disk image. A dirty store must be rebuilt from the
// snapshot and the log, a clean one reused, and every record acknowledged
// before the cut must be there, exactly once.
func TestPowerLossLosesNoAcknowledgedRecord(t *testing.T) {
	const rounds = 100
	path := filepath.Join(t.TempDir(), "state.db")
	st := inmemRaftStores()
	rng := rand.New(rand.NewPCG(14, 2026))
	a := &acks{recs: make(map[string]uint64)}
	var rebuilt, reused int
	for round := range rounds {
		n, wasRebuilt := startPowerNode(t, path, fmt.Sprintf("boot-%d", round), st)
		if round > 0 && wasRebuilt {
			rebuilt++
		} else if round > 0 {
			reused++
		}
		verifyAcked(t, n, a)
		if rng.IntN(3) > 0 {
			n.syncPoint(t, path, rng.IntN(2) == 0)
		}
		cut := powerCutWhileWriting(t, n, path, round, rng, a)
		stopRaft(t, n.raft)
		_ = n.store.Close() // the process is gone; the disk holds the image
		writeImage(t, path, cut)
	}
	t.Logf("%d power cuts: %d stores rebuilt (dirty at the cut), %d reused (clean); %d records acknowledged",
		rounds-1, rebuilt, reused, a.count())
	if rebuilt < 10 || reused < 5 {
		t.Fatalf("rebuilt %d, reused %d: the simulation did not exercise both paths", rebuilt, reused)
	}
}

// powerCutWhileWriting writes (and sometimes stops writing and syncs, so
// the cut finds a clean store), cuts the power at a random point and
// returns the disk image: the store file and its marker.
func powerCutWhileWriting(t *testing.T, n *plNode, path string, round int, rng *rand.Rand, a *acks) diskImage {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	wg := propose(ctx, n.raft, round, 1+rng.IntN(4), a)
	target := a.count() + 1 + rng.IntN(40)
	waitFor(t, 20*time.Second, "acknowledgements", func() bool { return a.count() >= target })
	quiet := rng.IntN(4) == 0
	if quiet { // writes stop and the store is synced before the cut
		cancel()
		wg.Wait()
		n.syncPoint(t, path, false)
	}
	a.mu.Lock() // what was acknowledged before this point must survive
	a.cut = true
	current := readFile(t, path)
	img := diskImage{store: powerCut(rng, n.synced, current), marker: readFile(t, mvcc.MarkerPath(path))}
	a.mu.Unlock()
	cancel()
	wg.Wait()
	a.mu.Lock()
	a.cut = false
	a.mu.Unlock()
	return img
}

// diskImage is what the disk holds after the cut.
type diskImage struct{ store, marker []byte }

func writeImage(t *testing.T, path string, img diskImage) {
	t.Helper()
	if err := os.WriteFile(path, img.store, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mvcc.MarkerPath(path), img.marker, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCheckReplayRefusesAStoreTheLogCannotReach(t *testing.T) {
	logs := raft.NewInmemStore()
	for i := uint64(50); i <= 60; i++ {
		if err := logs.StoreLog(&raft.Log{Index: i, Term: 1, Type: raft.LogNoop}); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckReplay(0, nil, logs); !errors.Is(err, ErrCannotCatchUp) {
		t.Fatalf("empty store, no snapshot, log from 50: %v, want ErrCannotCatchUp", err)
	}
	if err := CheckReplay(49, nil, logs); err != nil {
		t.Fatalf("store at 49, log from 50: %v", err)
	}
	snaps := []*raft.SnapshotMeta{{Index: 55}}
	if err := CheckReplay(0, snaps, logs); err != nil {
		t.Fatalf("empty store, snapshot at 55, log from 50: %v", err)
	}
	if !RestoreOnStart(0, snaps) || RestoreOnStart(55, snaps) || RestoreOnStart(0, nil) {
		t.Fatal("RestoreOnStart: restore exactly when the store is behind the latest snapshot")
	}
	if err := CheckReplay(0, nil, raft.NewInmemStore()); err != nil {
		t.Fatalf("new node, empty log: %v", err)
	}
}
