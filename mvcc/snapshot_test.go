package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// snapshotBytes takes a snapshot of s.
func snapshotBytes(t *testing.T, s *Store) []byte {
	t.Helper()
	sn, err := s.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sn.Close() }()
	var buf bytes.Buffer
	n, err := sn.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (wrote %d)", n, err, buf.Len())
	}
	return buf.Bytes()
}

func TestSnapshotRestoreIdenticalReads(t *testing.T) {
	src, _ := openTest(t)
	m := newModel()
	keys := buildHistory(t, src, m, 7, 400)
	if err := src.Compact(120); err != nil {
		t.Fatal(err)
	}
	m.compact(120)
	sn, err := src.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	// Commits after BeginSnapshot are not in the snapshot.
	mustCommit(t, src, Entry{Index: m.current + 1, Ops: []Op{put("late", "x")}})
	var buf bytes.Buffer
	if _, err := sn.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := sn.Close(); err != nil {
		t.Fatal(err)
	}

	dst, _ := openTest(t)
	mustCommit(t, dst, Entry{Index: 1, Ops: []Op{put("stale", "old")}}) // replaced wholesale
	changed := dst.Changed()
	if err := dst.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	<-changed
	if idx, _ := dst.AppliedIndex(); idx != m.current {
		t.Fatalf("restored AppliedIndex = %d, want %d", idx, m.current)
	}
	if _, err := dst.Get("stale", 0); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("pre-restore key still present: %v", err)
	}
	if _, err := dst.Get("late", 0); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("post-snapshot commit leaked into the snapshot: %v", err)
	}
	checkAll(t, dst, m, keys)
	checkHistory(t, dst, m, keys)
	want, _ := src.Replay(ReplayFilter{})
	got, err := dst.Replay(ReplayFilter{})
	if err != nil || !sameRecords(got, want) {
		t.Fatalf("restored Replay: %d records, %v; want %d", len(got), err, len(want))
	}
	// The restored store keeps working.
	e := Entry{Index: m.current + 1, Ops: []Op{put("x/k1", "after")}}
	m.apply(e)
	mustCommit(t, dst, e)
	checkRev(t, dst, m, keys, 0)
}

// withTrailer wraps data in a valid snapshot trailer.
func withTrailer(data []byte) []byte {
	out := append([]byte{}, data...)
	out = append(out, trailerMagic...)
	out = binary.BigEndian.AppendUint64(out, uint64(len(data)))
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
}

// foreignBolt returns a valid bbolt file that is not an Ovi store.
func foreignBolt(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte(metaFormat), u64(99))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRestoreCorruptSnapshotKeepsOldState(t *testing.T) {
	src, _ := openTest(t)
	buildHistory(t, src, newModel(), 8, 50)
	good := snapshotBytes(t, src)

	s, path := openTest(t)
	m := newModel()
	keys := buildHistory(t, s, m, 9, 80)
	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	bodyOnly := good[:len(good)-trailerLen]
	zeroMeta := slices.Clone(bodyOnly)
	clear(zeroMeta[:8192])
	cases := map[string][]byte{
		"empty":              nil,
		"garbage":            bytes.Repeat([]byte("not a snapshot "), 1000),
		"truncated":          good[:len(good)/2],
		"trailer cut off":    bodyOnly,
		"flipped byte":       flipped,
		"zeroed meta pages":  withTrailer(zeroMeta),
		"short body":         withTrailer(bodyOnly[:len(bodyOnly)/2]),
		"not a bbolt file":   withTrailer(bytes.Repeat([]byte{7}, 64*1024)),
		"foreign bbolt file": withTrailer(foreignBolt(t)),
	}
	for name, data := range cases {
		err := s.Restore(bytes.NewReader(data))
		if err == nil {
			t.Fatalf("%s: Restore succeeded", name)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
		t.Logf("%s: %v", name, err)
		if idx, _ := s.AppliedIndex(); idx != m.current {
			t.Fatalf("%s: AppliedIndex = %d after a failed restore, want %d", name, idx, m.current)
		}
		checkRev(t, s, m, keys, 0)
		checkRev(t, s, m, keys, m.current/2)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Fatalf("temporary files left beside the store: %v %v", entries, err)
	}
	mustCommit(t, s, Entry{Index: m.current + 1, Ops: []Op{put("x/k1", "still writable")}})
}

// TestRestoreWhileReading restores while other goroutines read and a
// snapshot of the old state is streamed: every read sees the old or the new
// state, never an error.
func TestRestoreWhileReading(t *testing.T) {
	src, _ := openTest(t)
	mustCommit(t, src, Entry{Index: 10, Ops: []Op{put("k", "new")}})
	data := snapshotBytes(t, src)

	s, _ := openTest(t)
	mustCommit(t, s, Entry{Index: 4, Ops: []Op{put("k", "old")}})
	stop := make(chan struct{})
	errc := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					errc <- nil
					return
				default:
				}
				kv, err := s.Get("k", 0)
				if err != nil || (string(kv.Value) != "old" && string(kv.Value) != "new") {
					errc <- errors.Join(err, errors.New("unexpected value "+string(kv.Value)))
					return
				}
			}
		}()
	}
	old := snapshotBytes(t, s)
	if err := s.Restore(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	close(stop)
	for range 4 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if kv, err := s.Get("k", 0); err != nil || string(kv.Value) != "new" {
		t.Fatalf("after restore: %q, %v", kv.Value, err)
	}
	// Restoring the older snapshot moves the applied index back.
	if err := s.Restore(bytes.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	if idx, _ := s.AppliedIndex(); idx != 4 {
		t.Fatalf("AppliedIndex after restoring the old snapshot = %d, want 4", idx)
	}
}
