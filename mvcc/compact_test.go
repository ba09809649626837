package mvcc

import (
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestCompactValidation(t *testing.T) {
	s, _ := openTest(t)
	m := newModel()
	buildHistory(t, s, m, 10, 50)
	if err := s.Compact(51); !errors.Is(err, ErrFutureRevision) {
		t.Fatalf("Compact(51) at 50: %v, want ErrFutureRevision", err)
	}
	if err := s.Compact(30); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(30); err != nil {
		t.Fatalf("Compact at the same revision again: %v", err)
	}
	if err := s.Compact(20); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Compact(20) after 30: %v, want ErrCompacted", err)
	}
	// Entry.Compact is clamped to the entry's index and ignored if not
	// above the current compaction.
	mustCommit(t, s, Entry{Index: 60, Compact: 10}, Entry{Index: 61, Compact: 1000})
	if got := s.CompactedRevision(); got != 61 {
		t.Fatalf("CompactedRevision = %d, want 61", got)
	}
	if _, err := s.Get("x/k1", 60); !errors.Is(err, ErrCompacted) {
		t.Fatalf("read below a compaction scheduled by Commit: %v, want ErrCompacted", err)
	}
}

// setMeta writes meta values straight into a closed store file.
func setMeta(t *testing.T, path string, vals map[string]uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if err := db.Update(func(tx *bolt.Tx) error { return putMeta(tx.Bucket([]byte(bucketMeta)), vals) }); err != nil {
		t.Fatal(err)
	}
}

func TestInterruptedCompactionResumesOnOpen(t *testing.T) {
	s, path := openTest(t)
	m := newModel()
	keys := buildHistory(t, s, m, 11, 400)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash right after phase 1: the scheduled marker is written, nothing
	// removed yet.
	setMeta(t, path, map[string]uint64{metaCompactScheduled: 250})
	m.compact(250)
	s2, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	if _, err := s2.Get("x/k1", 249); !errors.Is(err, ErrCompacted) {
		t.Fatalf("read below the scheduled compaction: %v, want ErrCompacted", err)
	}
	waitCompacted(t, s2)
	checkAll(t, s2, m, keys)
	checkHistory(t, s2, m, keys)
	assertRevsCompacted(t, s2, 250)
}

func TestCompactionInterruptedMidwayResumes(t *testing.T) {
	s, path := openTest(t)
	m := newModel()
	keys := buildHistory(t, s, m, 12, 400)
	s.testChunk.Store(3)
	if err := s.scheduleCompaction(300); err != nil {
		t.Fatal(err)
	}
	m.compact(300)
	p := &compaction{chunk: 3}
	for range 5 { // a few chunks of phase 2, then a "crash"
		if done, err := s.compactChunk(p); err != nil || done {
			t.Fatalf("compactChunk = %v, %v", done, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	checkAll(t, s2, m, keys) // correct while phase 2 runs
	waitCompacted(t, s2)
	checkAll(t, s2, m, keys)
	checkHistory(t, s2, m, keys)
	assertRevsCompacted(t, s2, 300)
}

// assertRevsCompacted checks no versions row at or below rev survives
// but the newest live one of each key, and that the key index is what the
// file holds.
func assertRevsCompacted(t *testing.T, s *Store, rev uint64) {
	t.Helper()
	checkIndexMatchesFile(t, s)
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	s.idx.tree.Ascend(func(ki *keyIndex) bool {
		n := ki.upto(rev)
		if n > 1 || n == 1 && ki.vers[0].tomb() {
			t.Errorf("%q keeps %d versions at or below %d after compaction (first %v)", ki.key, n, rev, ki.vers[0].rev())
		}
		return true
	})
}
