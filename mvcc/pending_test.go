package mvcc

import (
	"bytes"
	"errors"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// buffered opens a store whose commits wait in the buffer for an hour
// unless something writes it sooner.
func buffered(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	return openPath(t, path, Options{NoSync: true, CommitInterval: time.Hour}), path
}

func wantStats(t *testing.T, s *Store, flushes uint64, buffered int) {
	t.Helper()
	if st := s.CommitStats(); st.Flushes != flushes || st.Buffered != buffered {
		t.Fatalf("CommitStats = %+v, want %d writes of the buffer and %d entries buffered", st, flushes, buffered)
	}
}

func wantValue(t *testing.T, s *Store, key, value string) {
	t.Helper()
	if kv, err := s.Get(key, 0); err != nil || string(kv.Value) != value {
		t.Fatalf("Get(%q) = %q, %v; want %q", key, kv.Value, err, value)
	}
}

// A buffered entry counts as applied at once, and the first read writes
// the buffer before it looks.
func TestBufferedCommitIsReadAtOnce(t *testing.T) {
	s, _ := buffered(t)
	mustCommit(t, s, Entry{Index: 3, Term: 2, Ops: []Op{put("a", "1")}, Records: []wal.Record{note("i-1", "n", time.Now())}})
	wantStats(t, s, 0, 1)
	if idx, term := s.AppliedIndex(); idx != 3 || term != 2 {
		t.Fatalf("AppliedIndex = %d, %d; want 3, 2", idx, term)
	}
	mustCommit(t, s, Entry{Index: 3, Ops: []Op{put("a", "again")}}) // at the applied index: skipped
	wantStats(t, s, 0, 1)
	wantValue(t, s, "a", "1")
	wantStats(t, s, 1, 0)
	if recs, err := s.Replay(ReplayFilter{ResourceID: "i-1"}); err != nil || len(recs) != 1 {
		t.Fatalf("Replay = %d records, %v; want 1", len(recs), err)
	}
}

// With nothing reading, the buffer is written on its schedule.
func TestBufferedCommitWritesOnSchedule(t *testing.T) {
	s := openTestWith(t, Options{NoSync: true, CommitInterval: 2 * time.Millisecond})
	mustCommit(t, s, Entry{Index: 1, Ops: []Op{put("a", "1")}})
	deadline := time.Now().Add(10 * time.Second)
	for s.CommitStats().Flushes == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the buffer was not written on its schedule: %+v", s.CommitStats())
		}
		time.Sleep(time.Millisecond)
	}
	wantStats(t, s, 1, 0)
}

// The commit that fills the buffer writes it before it returns.
func TestBufferedCommitWritesAFullBufferAtOnce(t *testing.T) {
	s, _ := buffered(t)
	batch := make([]Entry, 0, maxPendingEntries)
	for i := range maxPendingEntries {
		batch = append(batch, Entry{Index: uint64(i + 1), Ops: []Op{put("k/"+strconv.Itoa(i%100), "v")}})
	}
	mustCommit(t, s, batch[:maxPendingEntries-1]...)
	wantStats(t, s, 0, maxPendingEntries-1)
	mustCommit(t, s, batch[maxPendingEntries-1])
	wantStats(t, s, 1, 0)
}

// The buffer keeps its own copy: the caller (Raft) may reuse the bytes it
// handed to Commit.
func TestBufferedCommitCopiesTheBytes(t *testing.T) {
	s, _ := buffered(t)
	value, enc := []byte("original"), []byte("encoded")
	r := note("i-1", "n", time.Now())
	mustCommit(t, s, Entry{Index: 1, Ops: []Op{{Type: OpPut, Key: "a", Value: value}}, Records: []wal.Record{r}, Encoded: [][]byte{enc}})
	copy(value, "clobber!")
	copy(enc, "CLOBBER")
	wantValue(t, s, "a", "original")
	err := s.view(func(tx *bolt.Tx) error {
		if got := tx.Bucket([]byte(bucketWAL)).Get(revBytes(Revision{Main: 1})); !bytes.Equal(got, []byte("encoded")) {
			t.Errorf("the audit record holds %q, want the bytes committed", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Close writes the buffer: a store closed in order loses nothing.
func TestBufferedCommitIsWrittenByClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, Options{SyncInterval: time.Hour, CommitInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, Entry{Index: 7, Ops: []Op{put("a", "1")}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPath(t, path, Options{NoSync: true})
	if idx, _ := s.AppliedIndex(); idx != 7 {
		t.Fatalf("AppliedIndex after reopen = %d, want 7", idx)
	}
	wantValue(t, s, "a", "1")
}

// A snapshot holds the buffered entries, and so does Sync's file.
func TestBufferedCommitIsInSnapshotAndSync(t *testing.T) {
	s, _ := buffered(t)
	mustCommit(t, s, Entry{Index: 1, Ops: []Op{put("a", "1")}})
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	wantStats(t, s, 1, 0)
	mustCommit(t, s, Entry{Index: 2, Ops: []Op{put("b", "2")}})
	sn, err := s.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := sn.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := sn.Close(); err != nil {
		t.Fatal(err)
	}
	other, _ := buffered(t)
	if err := other.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	wantValue(t, other, "a", "1")
	wantValue(t, other, "b", "2")
}

// A failed write of the buffer is sticky: the file does not hold entries
// the store counted as applied, so commits and reads fail until the node
// restarts and replays its log.
func TestBufferedCommitFailureIsSticky(t *testing.T) {
	s, path := buffered(t)
	mustCommit(t, s, Entry{Index: 1, Ops: []Op{put("a", "1")}})
	wantValue(t, s, "a", "1")
	mustCommit(t, s, Entry{Index: 2, Ops: []Op{put("a", "2"), put("b", "big")}})
	err := withFileSizeLimit(t, func() error { _, err := s.Get("a", 0); return err })
	if !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("Get with the buffer unwritable = %v, want EFBIG", err)
	}
	if _, err := s.Get("a", 0); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("Get after the failed write = %v, want the same error", err)
	}
	if err := s.Commit([]Entry{{Index: 3, Ops: []Op{put("c", "3")}}}); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("Commit after the failed write = %v, want the same error", err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close after the failed write = nil, want the error")
	}
	s = openPath(t, path, Options{NoSync: true})
	if idx, _ := s.AppliedIndex(); idx != 1 {
		t.Fatalf("AppliedIndex after reopen = %d, want 1 (the rest is the log's to replay)", idx)
	}
	wantValue(t, s, "a", "1")
}

// A read never misses an entry the flusher has taken from the buffer but
// not yet written: every read after a Commit sees it, however the two
// interleave.
func TestBufferedCommitReadDuringScheduledWrite(t *testing.T) {
	s := openTestWith(t, Options{NoSync: true, CommitInterval: 50 * time.Microsecond})
	for i := 1; i <= 3000; i++ {
		v := strconv.Itoa(i)
		mustCommit(t, s, Entry{Index: uint64(i), Ops: []Op{put("k", v)}})
		wantValue(t, s, "k", v)
	}
	if st := s.CommitStats(); st.Flushes < 2 {
		t.Fatalf("CommitStats = %+v: the schedule never raced the reads", st)
	}
}

// CommitStats.Buffered counts the entries applied and not written yet,
// those being written included: 0 means the file holds every one.
func TestCommitStatsBufferedCountsEntriesBeingWritten(t *testing.T) {
	s := openTestWith(t, Options{NoSync: true, CommitInterval: time.Hour})
	for i := 1; i <= 3; i++ {
		mustCommit(t, s, Entry{Index: uint64(i), Ops: []Op{put("k", strconv.Itoa(i))}})
	}
	if b := s.CommitStats().Buffered; b != 3 {
		t.Fatalf("Buffered = %d with 3 entries buffered, want 3", b)
	}
	taken, err := s.pend.take() // what the flusher does as it starts writing
	if err != nil || len(taken) != 3 {
		t.Fatalf("take: %d entries, %v", len(taken), err)
	}
	if b := s.CommitStats().Buffered; b != 3 {
		t.Fatalf("Buffered = %d with 3 entries being written, want 3", b)
	}
	s.pend.inflight.Store(0) // written
	if b := s.CommitStats().Buffered; b != 0 {
		t.Fatalf("Buffered = %d once written, want 0", b)
	}
}
