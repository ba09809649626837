package fsm

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/wal"
)

// persistToInmem snapshots f, persists it into an in-memory snapshot store
// and returns that store and the snapshot's id.
func persistToInmem(t *testing.T, f *FSM) (*raft.InmemSnapshotStore, string) {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	defer snap.Release()
	idx, term := f.Store().AppliedIndex()
	store := raft.NewInmemSnapshotStore()
	sink, err := store.Create(1, idx, term, raft.Configuration{}, 0, nil)
	if err != nil {
		t.Fatalf("create sink: %v", err)
	}
	if err := snap.Persist(sink); err != nil {
		t.Fatalf("persist: %v", err)
	}
	return store, sink.ID()
}

// restoreFrom restores snapshot id of store into f.
func restoreFrom(t *testing.T, f *FSM, store *raft.InmemSnapshotStore, id string) error {
	t.Helper()
	_, rc, err := store.Open(id)
	if err != nil {
		t.Fatalf("open snapshot: %v", err)
	}
	return f.Restore(rc)
}

// TestSnapshotRestoreIdenticalAtEveryRevision: snapshot → persist →
// restore into a fresh store gives identical reads at every revision, the
// same audit log and the same applied index; the restored FSM keeps
// applying where the original left off.
func TestSnapshotRestoreIdenticalAtEveryRevision(t *testing.T) {
	f, _ := newTestFSM(t)
	logs := history(t, 30)
	applyHistory(t, f, logs...)
	want := everything(t, f)

	snaps, id := persistToInmem(t, f)
	g, _ := newTestFSM(t)
	applyOK(t, g, cmdLog(t, 1, observedRec("stale", wal.ChangeNew, "t3.micro"))) // discarded by Restore
	if err := restoreFrom(t, g, snaps, id); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got := everything(t, g); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored state differs:\n got  %v\n want %v", got, want)
	}
	next := uint64(len(logs) + 1)
	applyOK(t, g, cmdLog(t, next, observedRec("i-after", wal.ChangeNew, "t3.micro")))
	mustGet(t, g.Store(), "resources/i-after", next)
}

// TestSnapshotIsPointInTime: Persist runs concurrently with Apply (as in
// Raft) and streams the state as of Snapshot.
func TestSnapshotIsPointInTime(t *testing.T) {
	f, _ := newTestFSM(t)
	logs := history(t, 12)
	applyHistory(t, f, logs...)
	want := everything(t, f)

	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	defer snap.Release()
	snaps := raft.NewInmemSnapshotStore()
	sink, err := snaps.Create(1, uint64(len(logs)), 2, raft.Configuration{}, 0, nil)
	if err != nil {
		t.Fatalf("create sink: %v", err)
	}
	var wg sync.WaitGroup
	var persistErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		persistErr = snap.Persist(sink)
	}()
	for i := range 20 {
		idx := uint64(len(logs) + 1 + i)
		applyOK(t, f, cmdLog(t, idx, observedRec("i-late", wal.ChangeUpdated, "t3.micro")))
	}
	wg.Wait()
	if persistErr != nil {
		t.Fatalf("persist: %v", persistErr)
	}
	g, _ := newTestFSM(t)
	if err := restoreFrom(t, g, snaps, sink.ID()); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got := everything(t, g); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored state is not the state at Snapshot:\n got  %v\n want %v", got, want)
	}
}

// failingSink fails every Write after limit bytes and records Cancel/Close.
type failingSink struct {
	limit     int
	written   int
	cancelled bool
	closed    bool
}

func (s *failingSink) Write(p []byte) (int, error) {
	if s.written+len(p) > s.limit {
		return 0, errors.New("disk full")
	}
	s.written += len(p)
	return len(p), nil
}
func (s *failingSink) Close() error  { s.closed = true; return nil }
func (s *failingSink) Cancel() error { s.cancelled = true; return nil }
func (s *failingSink) ID() string    { return "failing" }

// TestPersistFailureCancelsSink: a write error cancels the sink (never
// closes it) and is returned.
func TestPersistFailureCancelsSink(t *testing.T) {
	f, _ := newTestFSM(t)
	applyHistory(t, f, history(t, 6)...)
	for _, limit := range []int{0, 4096} {
		snap, err := f.Snapshot()
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		sink := &failingSink{limit: limit}
		err = snap.Persist(sink)
		snap.Release()
		snap.Release() // Raft calls it once; a second call must be harmless
		if err == nil || !sink.cancelled || sink.closed {
			t.Fatalf("limit %d: persist err %v, cancelled %t, closed %t; want error, cancelled, not closed",
				limit, err, sink.cancelled, sink.closed)
		}
	}
}

// closeTracker records whether Close was called.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// TestRestoreGarbageKeepsOldState: garbage or a truncated snapshot is
// rejected; the old state is kept and still served; the reader is closed.
func TestRestoreGarbageKeepsOldState(t *testing.T) {
	f, _ := newTestFSM(t)
	applyHistory(t, f, history(t, 12)...)
	want := everything(t, f)

	var full bytes.Buffer
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if _, err := snapWriteTo(snap, &full); err != nil {
		t.Fatalf("write snapshot: %v", err)
	}
	snap.Release()

	inputs := map[string][]byte{
		"empty":     nil,
		"garbage":   bytes.Repeat([]byte("not a bbolt file "), 2000),
		"truncated": full.Bytes()[:full.Len()/2],
	}
	for name, data := range inputs {
		rc := &closeTracker{Reader: bytes.NewReader(data)}
		if err := f.Restore(rc); err == nil {
			t.Fatalf("%s: restore succeeded, want an error", name)
		}
		if !rc.closed {
			t.Fatalf("%s: snapshot reader not closed", name)
		}
		if got := everything(t, f); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: state changed by a failed restore", name)
		}
	}
	next := uint64(len(history(t, 12)) + 1)
	applyOK(t, f, cmdLog(t, next, noteRec("i-1", "still applying")))
}

// snapWriteTo persists snap into w through a sink.
func snapWriteTo(snap raft.FSMSnapshot, w io.Writer) (int64, error) {
	sink := &writerSink{w: w}
	err := snap.Persist(sink)
	return sink.n, err
}

// writerSink is a raft.SnapshotSink over an io.Writer.
type writerSink struct {
	w io.Writer
	n int64
}

func (s *writerSink) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}
func (s *writerSink) Close() error  { return nil }
func (s *writerSink) Cancel() error { return nil }
func (s *writerSink) ID() string    { return "writer" }

// TestSnapshotThroughFileSnapshotStore: the same round trip through Raft's
// file snapshot store (what the cluster uses).
func TestSnapshotThroughFileSnapshotStore(t *testing.T) {
	f, _ := newTestFSM(t)
	applyHistory(t, f, history(t, 12)...)
	want := everything(t, f)
	fss, err := raft.NewFileSnapshotStore(filepath.Join(t.TempDir(), "snaps"), 1, io.Discard)
	if err != nil {
		t.Fatalf("file snapshot store: %v", err)
	}
	idx, term := f.Store().AppliedIndex()
	sink, err := fss.Create(1, idx, term, raft.Configuration{}, 0, nil)
	if err != nil {
		t.Fatalf("create sink: %v", err)
	}
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if err := snap.Persist(sink); err != nil {
		t.Fatalf("persist: %v", err)
	}
	snap.Release()
	_, rc, err := fss.Open(sink.ID())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	g, _ := newTestFSM(t)
	if err := g.Restore(rc); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got := everything(t, g); !reflect.DeepEqual(got, want) {
		t.Fatal("state restored through the file snapshot store differs")
	}
}
