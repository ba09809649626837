package mvcc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// buildHistory commits random entries to s and m and returns the keys.
func buildHistory(t *testing.T, s *Store, m *model, seed uint64, n int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	keys := modelKeys()
	start := m.current
	var batch []Entry
	for i := 1; i <= n; i++ {
		e := genEntry(rng, start+uint64(i), m, keys)
		e.Compact = 0
		e.Records = append(e.Records, note(keys[rng.IntN(len(keys))], fmt.Sprint(i), time.Unix(int64(i), 0)))
		m.apply(e)
		batch = append(batch, e)
		if len(batch) == 10 {
			mustCommit(t, s, batch...)
			batch = nil
		}
	}
	mustCommit(t, s, batch...)
	return keys
}

func TestCloseAndReopen(t *testing.T) {
	s, path := openTest(t)
	m := newModel()
	keys := buildHistory(t, s, m, 5, 300)
	if err := s.Compact(100); err != nil {
		t.Fatal(err)
	}
	m.compact(100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("x/k1", 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get on a closed store: %v, want ErrClosed", err)
	}
	if err := s.Commit([]Entry{{Index: 1000}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit on a closed store: %v, want ErrClosed", err)
	}
	s2, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	if idx, term := s2.AppliedIndex(); idx != m.current || term != 1+m.current/500 {
		t.Fatalf("reopened AppliedIndex = %d,%d want %d", idx, term, m.current)
	}
	if n, err := s2.RecordCount(); err != nil || n != 300 {
		t.Fatalf("reopened RecordCount = %d, %v", n, err)
	}
	checkAll(t, s2, m, keys)
	checkHistory(t, s2, m, keys)
}

func TestReapplyIsNoOp(t *testing.T) {
	s, _ := openTest(t)
	m := newModel()
	keys := buildHistory(t, s, m, 6, 100)
	records, _ := s.RecordCount()
	// Raft replays logs since the last snapshot: entries 50..100 again, with
	// different content to prove they are skipped, then new ones.
	var replay []Entry
	for i := uint64(50); i <= 110; i++ {
		e := Entry{Index: i, Term: 9, Ops: []Op{put("y/k2", fmt.Sprintf("new%d", i))}}
		if i <= 100 {
			e.Records = []wal.Record{note("i-9", "replayed", time.Unix(1, 0))}
		}
		replay = append(replay, e)
		m.apply(e)
	}
	mustCommit(t, s, replay...)
	if idx, term := s.AppliedIndex(); idx != 110 || term != 9 {
		t.Fatalf("AppliedIndex = %d,%d want 110,9", idx, term)
	}
	if n, _ := s.RecordCount(); n != records {
		t.Fatalf("RecordCount = %d, want %d (replayed records must not be re-added)", n, records)
	}
	checkAll(t, s, m, keys)
	// A batch entirely at or below the applied index changes nothing.
	ch := s.Changed()
	mustCommit(t, s, Entry{Index: 3, Ops: []Op{put("x/k1", "stale")}})
	select {
	case <-ch:
		t.Fatal("a commit of stale entries signalled a change")
	default:
	}
	checkAll(t, s, m, keys)
}

func TestWaitApplied(t *testing.T) {
	s, _ := openTest(t)
	ch := s.Changed()
	errc := make(chan error, 1)
	go func() { errc <- s.WaitApplied(context.Background(), 5) }()
	mustCommit(t, s, Entry{Index: 3})
	<-ch // closed by the commit
	select {
	case err := <-errc:
		t.Fatalf("WaitApplied(5) returned %v at index 3", err)
	default:
	}
	mustCommit(t, s, Entry{Index: 5})
	if err := <-errc; err != nil {
		t.Fatalf("WaitApplied(5): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitApplied(ctx, 99); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitApplied with a cancelled context: %v", err)
	}
	go func() { errc <- s.WaitApplied(context.Background(), 99) }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitApplied across Close: %v, want ErrClosed", err)
	}
}
