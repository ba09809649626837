package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// copyGolden copies testdata/format1.db (written by the format-1 code,
// see goldenHistory) into a temp dir.
func copyGolden(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "format1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// goldenModel is the model of goldenHistory.
func goldenModel() (*model, []string) {
	m := newModel()
	seen := map[string]bool{}
	var keys []string
	for _, e := range goldenHistory() {
		m.apply(e)
		for _, op := range e.Ops {
			if !seen[op.Key] {
				seen[op.Key] = true
				keys = append(keys, op.Key)
			}
		}
	}
	return m, append(keys, "absent")
}

// checkGolden compares every read of the store with the model of
// goldenHistory, and the audit log with its records.
func checkGolden(t *testing.T, s *Store) {
	t.Helper()
	m, keys := goldenModel()
	if s.CurrentRevision() != 60 || s.CompactedRevision() != 30 {
		t.Fatalf("current %d compacted %d, want 60 and 30", s.CurrentRevision(), s.CompactedRevision())
	}
	checkAll(t, s, m, keys)
	checkHistory(t, s, m, keys)
	checkDiffs(t, s, m, rand.New(rand.NewPCG(1, 2)))
	recs, err := s.Replay(ReplayFilter{ResourceID: "i-1"})
	if err != nil || len(recs) != 20 || recs[0].Revision.Main != 1 || recs[0].Record.Note.Text != "n1" {
		t.Fatalf("Replay(i-1) = %d records (%v), want 20 from revision 1", len(recs), err)
	}
	if n, err := s.RecordCount(); err != nil || n != 60 {
		t.Fatalf("RecordCount = %d, %v; want 60", n, err)
	}
}

// TestOpenMigratesFormat1Store: a store file written by the format-1 code
// opens as format 2 in one transaction — the old buckets gone, the format
// version 2 — and every read answers as before; it keeps working (commit,
// compaction, reopen).
func TestOpenMigratesFormat1Store(t *testing.T) {
	path := copyGolden(t)
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, s)
	err = s.view(func(tx *bolt.Tx) error {
		for _, name := range []string{bucketKV, bucketKeys, bucketRevs} {
			if tx.Bucket([]byte(name)) != nil {
				t.Errorf("bucket %s survived the migration", name)
			}
		}
		_, err := checkLayout(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, Entry{Index: 61, Ops: []Op{put("g/1", "after"), del("seq")}, Compact: 55})
	waitCompacted(t, s)
	checkIndexMatchesFile(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	if kv, err := s2.Get("g/1", 0); err != nil || string(kv.Value) != "after" {
		t.Fatalf("Get(g/1) after reopen = %+v, %v", kv, err)
	}
	if _, err := s2.Get("seq", 0); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get(seq) after its delete = %v, want ErrKeyNotFound", err)
	}
}

// TestRestoreMigratesFormat1Snapshot: a snapshot an older build wrote (a
// format-1 file and the trailer) restores, migrated, with identical reads.
func TestRestoreMigratesFormat1Snapshot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "format1.db"))
	if err != nil {
		t.Fatal(err)
	}
	snap := bytes.NewBuffer(append([]byte{}, data...)) // the file, then the trailer WriteTo appends
	snap.WriteString(trailerMagic)
	snap.Write(binary.BigEndian.AppendUint64(nil, uint64(len(data))))
	snap.Write(binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))))
	s, _ := openTest(t)
	mustCommit(t, s, Entry{Index: 1, Ops: []Op{put("other", "x")}})
	if err := s.Restore(snap); err != nil {
		t.Fatalf("Restore of a format-1 snapshot: %v", err)
	}
	checkGolden(t, s)
	if _, err := s.Get("other", 0); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("a key of the replaced state survived the restore: %v", err)
	}
}

// TestOpenRefusesUnknownFormat: a format this build does not know is
// refused in one line naming the file.
func TestOpenRefusesUnknownFormat(t *testing.T) {
	path := copyGolden(t)
	setMeta(t, path, map[string]uint64{metaFormat: 4})
	_, err := Open(path, Options{NoSync: true})
	if !errors.Is(err, ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte(path)) ||
		!bytes.Contains([]byte(err.Error()), []byte("unknown format version 4 (this build reads 1 to 3)")) {
		t.Fatalf("Open of format 4 = %v, want ErrCorrupt naming %s and the version", err, path)
	}
}

// TestMigrationKeepsRowOrder: the migrated versions bucket holds exactly
// the format-1 versions, in revision order.
func TestMigrationKeepsRowOrder(t *testing.T) {
	s, err := Open(copyGolden(t), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	m, keys := goldenModel()
	var want []Revision
	for _, k := range keys {
		for _, v := range m.versions[k] {
			want = append(want, v.ModRevision)
		}
	}
	slices.SortFunc(want, compareRev)
	var got []Revision
	err = s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketVersions)).ForEach(func(k, _ []byte) error {
			got = append(got, parseRev(k))
			return nil
		})
	})
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("versions rows %v (%v), want %v", got, err, want)
	}
}
