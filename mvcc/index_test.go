package mvcc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// concKeys is the number of keys of TestReadsDuringCommitsAndCompaction:
// entry i puts key c/(i mod concKeys) = v<i>, so the value of c/j at
// revision r is v<the largest i <= r with i mod concKeys = j>.
const concKeys = 10

func concEntry(i uint64) Entry {
	e := Entry{Index: i, Term: 1, Ops: []Op{put(fmt.Sprintf("c/%d", i%concKeys), fmt.Sprint("v", i))}}
	if i%40 == 0 {
		e.Compact = i - 15
	}
	return e
}

// concWant is the value of c/j at revision r ("" before its first put).
func concWant(j, r uint64) string {
	if r < j {
		return ""
	}
	if i := r - (r-j)%concKeys; i > 0 {
		return fmt.Sprint("v", i)
	}
	return ""
}

// TestReadsDuringCommitsAndCompaction: Get and List at random retained
// revisions, from several goroutines, while commits add versions to the
// key index and background compaction drops them, always answer what the
// history says (or ErrCompacted for a revision compacted meanwhile).
func TestReadsDuringCommitsAndCompaction(t *testing.T) {
	s, _ := openTest(t)
	s.testChunk.Store(3)
	const last = 1200
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := checkConcRead(s, rng); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := uint64(1); i <= last; i += 4 {
		mustCommit(t, s, concEntry(i), concEntry(i+1), concEntry(i+2), concEntry(i+3))
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitCompacted(t, s)
	checkIndexMatchesFile(t, s)
}

// checkConcRead reads one random key and the whole prefix at a random
// revision at or above the compaction point.
func checkConcRead(s *Store, rng *rand.Rand) error {
	low := s.CompactedRevision() // first: a compaction is scheduled at or below the revision current then, and cur only grows
	cur := s.CurrentRevision()
	if cur == 0 {
		return nil
	}
	r := max(low, 1) + rng.Uint64N(cur-max(low, 1)+1)
	j := rng.Uint64N(concKeys)
	kv, err := s.Get(fmt.Sprintf("c/%d", j), r)
	switch want := concWant(j, r); {
	case errors.Is(err, ErrCompacted):
	case want == "" && errors.Is(err, ErrKeyNotFound):
	case err != nil || string(kv.Value) != want:
		return fmt.Errorf("Get(c/%d, %d) = %q, %w; want %q", j, r, kv.Value, err, want)
	}
	kvs, err := s.List("c/", r)
	if errors.Is(err, ErrCompacted) {
		return nil
	}
	if err != nil || len(kvs) != int(min(r, concKeys)) {
		return fmt.Errorf("List(c/, %d) = %d keys, %w", r, len(kvs), err)
	}
	for _, kv := range kvs {
		var k uint64
		if _, err := fmt.Sscanf(kv.Key, "c/%d", &k); err != nil || string(kv.Value) != concWant(k, r) {
			return fmt.Errorf("List(c/, %d): %s = %q, want %q", r, kv.Key, kv.Value, concWant(k, r))
		}
	}
	return nil
}

// TestCommitFailureTakesIndexBack: a commit that fails inside its
// transaction leaves the key index as it was.
func TestCommitFailureTakesIndexBack(t *testing.T) {
	s, _ := openTest(t)
	mustCommit(t, s, Entry{Index: 1, Ops: []Op{put("a", "1")}})
	bad := []Entry{
		{Index: 2, Ops: []Op{put("a", "2"), put("b", "new")}},
		{Index: 3, Ops: []Op{put("c", "x")}, Records: []wal.Record{{Kind: wal.KindNote}}}, // no Note payload: fails to encode
	}
	if err := s.Commit(bad); err == nil {
		t.Fatal("Commit of a record that does not encode succeeded")
	}
	checkIndexMatchesFile(t, s)
	if kv, err := s.Get("a", 0); err != nil || string(kv.Value) != "1" || kv.Version != 1 {
		t.Fatalf("Get(a) after the failed commit = %+v, %v", kv, err)
	}
	mustCommit(t, s, Entry{Index: 2, Ops: []Op{put("a", "2")}})
	if kv, err := s.Get("a", 0); err != nil || kv.Version != 2 {
		t.Fatalf("Get(a) = %+v, %v; want version 2", kv, err)
	}
}
