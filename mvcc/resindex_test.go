package mvcc

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// resIndexModel answers a replay by resource the slow way: every record of
// the audit log filtered by what it is about (its resources, or the unit
// its decision names).
func resIndexModel(t *testing.T, s *Store, id string) []Revision {
	t.Helper()
	all, err := s.Replay(ReplayFilter{})
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string]string{} // decision id → unit name
	var out []Revision
	for _, r := range all {
		if r.Record.Kind == wal.KindDecided {
			unit[r.Record.DecisionID] = r.Record.Name()
		}
		name := r.Record.Name()
		if name == "" && r.Record.Kind != wal.KindObserved {
			name = unit[r.Record.DecisionID]
		}
		if r.Record.Concerns(id) || name == id {
			out = append(out, r.Revision)
		}
	}
	return out
}

func checkResIndex(t *testing.T, s *Store, ids []string, when string) {
	t.Helper()
	for _, id := range ids {
		got, err := s.Replay(ReplayFilter{ResourceID: id})
		if err != nil {
			t.Fatalf("%s: Replay(%s): %v", when, id, err)
		}
		revs := make([]Revision, len(got))
		for i := range got {
			revs[i] = got[i].Revision
		}
		if want := resIndexModel(t, s, id); !slices.Equal(revs, want) {
			t.Fatalf("%s: Replay(%s) = %v, want %v", when, id, revs, want)
		}
		if len(got) > 1 {
			last, err := s.Replay(ReplayFilter{ResourceID: id, After: got[0].Revision, Limit: 1})
			if err != nil || len(last) != 1 || last[0].Revision != got[1].Revision {
				t.Fatalf("%s: Replay(%s) after %v limit 1 = %v, %v; want %v", when, id, got[0].Revision, last, err, got[1].Revision)
			}
		}
	}
}

// TestResourceIndexAcrossSpillsCompactionsAndReopens: the resource index
// (idx_res up to idx_res_through, the newer records in memory) answers
// every replay by resource and by unit name as a scan of the whole log
// does — while the memory part fills, after it is written to idx_res,
// after audit compactions and after the store is reopened (the memory part
// rebuilt from the log), in both commit modes.
func TestResourceIndexAcrossSpillsCompactionsAndReopens(t *testing.T) {
	for _, opts := range []Options{{NoSync: true}, {NoSync: true, CommitInterval: time.Millisecond}} {
		t.Run(fmt.Sprint("buffered=", opts.CommitInterval > 0), func(t *testing.T) { resIndexRounds(t, opts) })
	}
}

func resIndexRounds(t *testing.T, opts Options) {
	path := filepath.Join(t.TempDir(), "state.db")
	rng := rand.New(rand.NewPCG(5, 11))
	ids := []string{"i-1", "i-2", "i-3", "i-dead", "web", "i-a7", "i-b9"}
	at := time.Unix(1_700_000_000, 0)
	index := uint64(0)
	spills := 0
	for round := range 6 {
		s := openPath(t, path, opts)
		s.testSpill.Store(13)
		s.testChunk.Store(4)
		for range 40 {
			index++
			e := Entry{Index: index, Records: resIndexRecords(rng, index, at.Add(time.Duration(index)*time.Second))}
			if index%37 == 0 {
				e.CompactAudit = index - 10
			}
			mustCommit(t, s, e)
			if rng.IntN(4) == 0 {
				waitAuditCompacted(t, s) // records being dropped answer by one index and not yet by another
				checkResIndex(t, s, ids, fmt.Sprintf("round %d index %d", round, index))
			}
		}
		waitAuditCompacted(t, s)
		checkResIndex(t, s, ids, fmt.Sprintf("end of round %d", round))
		spills += resThrough(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if spills == 0 {
		t.Fatal("idx_res_through never moved: the memory part was never written")
	}
}

// resIndexRecords are one entry's records: a note about a random
// resource, sometimes a decision about "web" with its outcome.
func resIndexRecords(rng *rand.Rand, index uint64, at time.Time) []wal.Record {
	ids := []string{"i-1", "i-2", "i-3", "i-dead"}
	recs := []wal.Record{note(ids[rng.IntN(len(ids))], "n", at)}
	if rng.IntN(3) == 0 {
		d, x := decidedPair(fmt.Sprintf("%c%d", 'a'+rune(rng.IntN(2)), index), at)
		recs = append(recs, d, x)
	}
	return recs
}

// resThrough returns the store's idx_res_through.
func resThrough(t *testing.T, s *Store) int {
	t.Helper()
	var through uint64
	if err := s.view(func(tx *bolt.Tx) error {
		through = readU64(tx.Bucket([]byte(bucketMeta)), metaResThrough)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return int(through)
}

// TestFormat2FileMigratesToFormat3: a format-2 file (idx_res whole) opens
// as format 3 with idx_res_through at its applied index, and its replays
// by resource are unchanged.
func TestFormat2FileMigratesToFormat3(t *testing.T) {
	s, path := openTest(t)
	for i := uint64(1); i <= 5; i++ {
		mustCommit(t, s, Entry{Index: i, Records: []wal.Record{note("i-1", "n", time.Unix(int64(i), 0))}})
	}
	s.testSpill.Store(1)
	mustCommit(t, s, Entry{Index: 6, Records: []wal.Record{note("i-1", "n", time.Unix(6, 0))}}) // all in idx_res
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setMeta(t, path, map[string]uint64{metaFormat: formatV2, metaResThrough: 0})
	s = openPath(t, path, Options{NoSync: true})
	if format, _ := fileFormatOf(s); format != formatVersion {
		t.Fatalf("format after open = %d, want %d", format, formatVersion)
	}
	if through := resThrough(t, s); through != 6 {
		t.Fatalf("idx_res_through after the migration = %d, want 6", through)
	}
	if recs, err := s.Replay(ReplayFilter{ResourceID: "i-1"}); err != nil || len(recs) != 6 {
		t.Fatalf("Replay(i-1) = %d records, %v; want 6", len(recs), err)
	}
}

// TestResourceIndexReadsDuringSpills: reads by resource that run while
// the memory part is written to idx_res and swapped see every record the
// store had applied when they began, once, with no gap.
func TestResourceIndexReadsDuringSpills(t *testing.T) {
	s := openTestWith(t, Options{NoSync: true})
	s.testSpill.Store(7)
	const n = 1500
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			applied, _ := s.AppliedIndex()
			recs, err := s.Replay(ReplayFilter{ResourceID: "i-1"})
			if err != nil {
				errs <- err
				return
			}
			for i, r := range recs {
				if r.Revision.Main != uint64(i+1) {
					errs <- fmt.Errorf("record %d of the replay is at %v, want %d (applied %d)", i, r.Revision, i+1, applied)
					return
				}
			}
			if uint64(len(recs)) < applied {
				errs <- fmt.Errorf("replay of %d records, applied %d when it began", len(recs), applied)
				return
			}
			if applied == n {
				return
			}
		}
	}()
	for i := uint64(1); i <= n; i++ {
		mustCommit(t, s, Entry{Index: i, Records: []wal.Record{note("i-1", "n", time.Unix(int64(i), 0))}})
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if through := resThrough(t, s); through < n-7 {
		t.Fatalf("idx_res_through %d after %d records with spills every 7", through, n)
	}
}
