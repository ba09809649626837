package mvcc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// readMarker decodes the sync marker of the store at path.
func readMarker(t *testing.T, path string) marker {
	t.Helper()
	b, err := os.ReadFile(MarkerPath(path))
	if err != nil {
		t.Fatalf("read marker: %v", err)
	}
	m, err := decodeMarker(b)
	if err != nil {
		t.Fatalf("decode marker: %v", err)
	}
	return m
}

// openDeferred opens a deferred-sync store that syncs only when told to.
func openDeferred(t *testing.T, path, boot string) *Store {
	t.Helper()
	s, err := Open(path, Options{SyncInterval: time.Hour, BootID: boot})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// copyFiles copies the store file and its marker as they are now (what a
// killed process leaves, or what a disk holds if it wrote every page).
func copyFiles(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "state.db")
	for _, p := range []string{path, MarkerPath(path)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+strings.TrimPrefix(p, path), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestDeferredSyncMarksDirtyUntilSynced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openDeferred(t, path, "boot-1")
	if m := readMarker(t, path); m.state != markerClean {
		t.Fatalf("after Open marker state = %d, want clean", m.state)
	}
	syncsBefore, _ := s.SyncStats()
	for i := uint64(1); i <= 20; i++ {
		mustCommit(t, s, Entry{Index: i, Term: 1, Ops: []Op{put("k", "v")}})
	}
	if n, _ := s.SyncStats(); n != syncsBefore {
		t.Fatalf("commits synced the store %d times, want 0", n-syncsBefore)
	}
	if m := readMarker(t, path); m.state != markerDirty || m.boot != "boot-1" {
		t.Fatalf("after commits marker = %+v, want dirty since boot-1", m)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if m := readMarker(t, path); m.state != markerClean {
		t.Fatalf("after Sync marker state = %d, want clean", m.state)
	}
	if st := s.SyncStatus(); st.Syncs != syncsBefore+1 || st.Last <= 0 || st.Total < st.Last || st.Failed {
		t.Fatalf("after one Sync SyncStatus = %+v, want %d syncs, the last one timed, none failed", st, syncsBefore+1)
	}
	mustCommit(t, s, Entry{Index: 21, Term: 1, Ops: []Op{put("k", "w")}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if m := readMarker(t, path); m.state != markerClean {
		t.Fatalf("after Close marker state = %d, want clean", m.state)
	}
	s2 := openDeferred(t, path, "boot-2")
	if got, _ := s2.AppliedIndex(); got != 21 {
		t.Fatalf("applied after clean close and reboot = %d, want 21", got)
	}
}

func TestDeferredSyncRunsOnSchedule(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, Options{SyncInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	mustCommit(t, s, Entry{Index: 1, Term: 1, Ops: []Op{put("k", "v")}})
	deadline := time.Now().Add(10 * time.Second)
	for readMarker(t, path).state != markerClean {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled sync never marked the store clean")
		}
		<-time.After(time.Millisecond) // poll the file; nothing to wait on across a file
	}
}

func TestOpenRefusesDirtyStoreFromAnotherBoot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openDeferred(t, path, "boot-1")
	mustCommit(t, s, Entry{Index: 1, Term: 1, Ops: []Op{put("k", "v")}})
	dirty := copyFiles(t, path)

	_, err := Open(dirty, Options{SyncInterval: time.Hour, BootID: "boot-2"})
	if !errors.Is(err, ErrTorn) || !strings.Contains(err.Error(), dirty) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Open on another boot = %v; want one line of ErrTorn naming %s", err, dirty)
	}
	same := openDeferred(t, dirty, "boot-1") // the process died, the machine did not
	if kv, err := same.Get("k", 0); err != nil || string(kv.Value) != "v" {
		t.Fatalf("same boot: Get = %v, %v", kv, err)
	}

	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	clean := copyFiles(t, path)
	if _, err := Open(clean, Options{SyncInterval: time.Hour, BootID: "boot-2"}); err != nil {
		t.Fatalf("a synced store on another boot: %v", err)
	}
}

func TestOpenRefusesUnreadableMarker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openDeferred(t, path, "boot-1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(MarkerPath(path), []byte("OVISYNC1\x02\x00garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{SyncInterval: time.Hour, BootID: "boot-1"}); !errors.Is(err, ErrTorn) {
		t.Fatalf("Open with a torn marker = %v, want ErrTorn", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	openDeferred(t, path, "boot-1") // a stale marker without its store is a new store
}

func TestFailedSyncIsSticky(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openDeferred(t, path, "boot-1")
	if err := s.marker.Close(); err != nil { // every marker write now fails
		t.Fatal(err)
	}
	first := s.Commit([]Entry{{Index: 1, Term: 1, Ops: []Op{put("k", "v")}}})
	if first == nil {
		t.Fatal("a commit that cannot mark the store dirty succeeded")
	}
	if err := s.Commit([]Entry{{Index: 2, Term: 1}}); !errors.Is(err, first) {
		t.Fatalf("second commit = %v, want the sticky %v", err, first)
	}
	if err := s.Sync(); !errors.Is(err, first) {
		t.Fatalf("Sync = %v, want the sticky %v", err, first)
	}
	if !s.SyncStatus().Failed {
		t.Fatal("SyncStatus does not report the failed sync")
	}
	if got, _ := s.AppliedIndex(); got != 0 {
		t.Fatalf("applied = %d after failed commits", got)
	}
}

// TestCommitStoresTheGivenEncoding: with Entry.Encoded, the audit log
// holds those bytes (here format 2, not what EncodeRecord would write);
// a count that does not match the records is refused.
func TestCommitStoresTheGivenEncoding(t *testing.T) {
	s, _ := openTest(t)
	rec := note("i-1", "kept as given", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	enc, err := wal.EncodeRecordAs(nil, &rec, wal.FormatV2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit([]Entry{{Index: 1, Records: []wal.Record{rec}, Encoded: [][]byte{enc, enc}}}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("two encodings for one record: %v, want ErrInvalidInput", err)
	}
	mustCommit(t, s, Entry{Index: 1, Term: 1, Records: []wal.Record{rec}, Encoded: [][]byte{enc}})
	var stored []byte
	err = s.view(func(tx *bolt.Tx) error {
		stored = append(stored, tx.Bucket([]byte(bucketWAL)).Get(revBytes(Revision{Main: 1}))...)
		return nil
	})
	if err != nil || !bytes.Equal(stored, enc) {
		t.Fatalf("audit log holds % x (%v), want % x", stored, err, enc)
	}
	if recs, err := s.Replay(ReplayFilter{ResourceID: "i-1"}); err != nil || len(recs) != 1 || recs[0].Record.Note.Text != "kept as given" {
		t.Fatalf("Replay = %+v, %v", recs, err)
	}
}
