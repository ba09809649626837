package mvcc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// openTest opens a store in a temp dir and closes it at cleanup.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	return openPath(t, path, Options{NoSync: true}), path
}

// openTestWith opens a new store with opts, closed at the end of the test.
func openTestWith(t testing.TB, opts Options) *Store {
	t.Helper()
	return openPath(t, filepath.Join(t.TempDir(), "state.db"), opts)
}

func openPath(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// put, del build ops.
func put(key, value string) Op { return Op{Type: OpPut, Key: key, Value: []byte(value)} }
func del(key string) Op        { return Op{Type: OpDelete, Key: key} }

// note builds a valid audit record.
func note(id, text string, at time.Time) wal.Record {
	return wal.Record{Kind: wal.KindNote, ResourceID: id, Time: at, Node: "n1", Note: &wal.Note{Text: text}}
}

func mustCommit(t testing.TB, s *Store, entries ...Entry) {
	t.Helper()
	if err := s.Commit(entries); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func TestGetHistoryOfOneKey(t *testing.T) {
	s, _ := openTest(t)
	k := "resources/i-1"
	mustCommit(t, s,
		Entry{Index: 3, Term: 1, Ops: []Op{put(k, "A")}},
		Entry{Index: 7, Term: 1, Ops: []Op{put("other", "x"), put(k, "B")}},
		Entry{Index: 9, Term: 2, Ops: []Op{del(k)}},
		Entry{Index: 12, Term: 2, Ops: []Op{put(k, "C")}},
	)
	cases := []struct {
		rev     uint64
		want    string
		version int64
		create  Revision
		err     error
	}{
		{rev: 2, err: ErrKeyNotFound},
		{rev: 3, want: "A", version: 1, create: Revision{3, 0}},
		{rev: 8, want: "B", version: 2, create: Revision{3, 0}},
		{rev: 9, err: ErrKeyNotFound},
		{rev: 11, err: ErrKeyNotFound},
		{rev: 12, want: "C", version: 1, create: Revision{12, 0}},
		{rev: 0, want: "C", version: 1, create: Revision{12, 0}},
		{rev: 13, err: ErrFutureRevision},
	}
	for _, c := range cases {
		kv, err := s.Get(k, c.rev)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("Get(%d) err = %v, want %v", c.rev, err, c.err)
			}
			continue
		}
		if err != nil || string(kv.Value) != c.want || kv.Version != c.version || kv.CreateRevision != c.create {
			t.Errorf("Get(%d) = %+v, %v; want %q version %d create %v", c.rev, kv, err, c.want, c.version, c.create)
		}
	}
	if idx, term := s.AppliedIndex(); idx != 12 || term != 2 {
		t.Errorf("AppliedIndex = %d,%d want 12,2", idx, term)
	}
	h, err := s.History(k)
	if err != nil || len(h) != 4 || !h[2].Deleted || h[1].ModRevision != (Revision{7, 1}) {
		t.Fatalf("History = %+v, %v", h, err)
	}
}

func TestListAtRevision(t *testing.T) {
	s, _ := openTest(t)
	var entries []Entry
	for i := 1; i <= 50; i++ {
		entries = append(entries, Entry{Index: uint64(i), Ops: []Op{put(fmt.Sprintf("p/%02d", i%10), fmt.Sprint(i))}})
	}
	entries = append(entries, Entry{Index: 51, Ops: []Op{del("p/03"), put("q", "x"), put("p", "root")}})
	mustCommit(t, s, entries...)
	got, err := s.List("p/", 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("List at 25: %d keys, want 10: %+v", len(got), got)
	}
	for i, kv := range got {
		if kv.Key != fmt.Sprintf("p/%02d", i) {
			t.Errorf("key %d = %q", i, kv.Key)
		}
		// newest i' <= 25 with i' % 10 == i
		want := 20 + i
		if want > 25 {
			want -= 10
		}
		if string(kv.Value) != fmt.Sprint(want) {
			t.Errorf("%s = %s want %d", kv.Key, kv.Value, want)
		}
	}
	cur, err := s.List("p/", 0)
	if err != nil || len(cur) != 9 {
		t.Fatalf("List current: %d keys, %v", len(cur), err)
	}
	all, err := s.List("", 0)
	if err != nil || len(all) != 11 {
		t.Fatalf("List all: %d keys, %v", len(all), err)
	}
}

func TestCommitRejectsBadInput(t *testing.T) {
	s, _ := openTest(t)
	bad := [][]Entry{
		{{Index: 1, Ops: []Op{put("", "x")}}},
		{{Index: 1, Ops: []Op{put("a\x00b", "x")}}},
		{{Index: 1, Ops: []Op{{Type: 9, Key: "a"}}}},
		{{Index: 2}, {Index: 2}},
		{{Index: 1, Records: []wal.Record{{Kind: wal.KindNote}}}},
	}
	for i, entries := range bad {
		if err := s.Commit(entries); err == nil {
			t.Errorf("case %d: Commit accepted bad input", i)
		}
	}
	if idx, _ := s.AppliedIndex(); idx != 0 {
		t.Fatalf("a failed commit applied something: index %d", idx)
	}
}

func TestOpenRefusesForeignFile(t *testing.T) {
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "text")
	if err := os.WriteFile(notBolt, []byte("hello, this is not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(notBolt, Options{NoSync: true}); err == nil {
		t.Fatal("Open accepted a text file")
	}
	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, foreignBolt(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(other, Options{NoSync: true}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a bbolt file with an unknown format version: %v, want ErrCorrupt", err)
	}
	raftLike := filepath.Join(dir, "raft.db")
	db, err := bolt.Open(raftLike, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("logs")); return err }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(raftLike, Options{NoSync: true}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of another program's bbolt file: %v, want ErrCorrupt", err)
	}
}

// A store file cut short (bbolt's meta pages survive a truncation) is
// refused at Open with ErrCorrupt instead of panicking inside bbolt at the
// first read past the end.
func TestOpenRefusesTruncatedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 4000)
	for i := uint64(1); i <= 200; i++ {
		if err := s.Commit([]Entry{{Index: i, Ops: []Op{put(fmt.Sprintf("k/%03d", i), big)}}}); err != nil {
			t.Fatal(err)
		}
	}
	var need int64
	if err := s.db.View(func(tx *bolt.Tx) error { need = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, need/2); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{NoSync: true})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("Open of a truncated file = %v, want ErrCorrupt saying it is truncated", err)
	}
}
