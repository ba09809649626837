package mvcc

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// migrateChildEnv, when set, makes the test binary open the store file it
// names (migrating it, logging to stdout) instead of running the tests.
const migrateChildEnv = "OVI_MVCC_MIGRATE_CHILD_PATH"

// Size of the format-1 file of the kill test: enough rows that the
// migration takes a while (hundreds of milliseconds under -race).
const (
	migrateKeys     = 2_000
	migrateVersions = 40_000
)

// runMigrateChild opens path with the store's log on stdout and prints
// "opened" once Open has returned.
func runMigrateChild(path string) int {
	s, err := Open(path, Options{Logger: slog.New(slog.NewTextHandler(os.Stdout, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("opened")
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// writeFormat1 writes a format-1 store file as the format-1 code laid it
// out (kv key-major, the keys directory, revs REV → key; meta format 1)
// holding n entries of one put each over keys keys, and returns the model.
// It commits every 1,000 entries, as bbolt splits its pages only at commit.
func writeFormat1(t *testing.T, path string, keys, n int) *model {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	m := newModel()
	for first := 1; first <= n; first += 1000 {
		err = db.Update(func(tx *bolt.Tx) error {
			bk := map[string]*bolt.Bucket{}
			for _, name := range allBuckets(formatV1) {
				b, err := tx.CreateBucketIfNotExists([]byte(name))
				if err != nil {
					return err
				}
				bk[name] = b
			}
			for i := first; i < first+1000 && i <= n; i++ {
				e := Entry{Index: uint64(i), Term: 1, Ops: []Op{put(fmt.Sprintf("m/%05d", i%keys), fmt.Sprint("v", i))}}
				m.apply(e)
				vs := m.versions[e.Ops[0].Key]
				if err := putFormat1Row(bk, vs[len(vs)-1]); err != nil {
					return err
				}
			}
			return putMeta(bk[bucketMeta], map[string]uint64{metaFormat: formatV1, metaAppliedIndex: m.current, metaAppliedTerm: 1})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// putFormat1Row writes one put version in the format-1 buckets.
func putFormat1Row(bk map[string]*bolt.Bucket, kv KeyValue) error {
	k := putRev(append([]byte(kv.Key), keySep), kv.ModRevision)
	v := putRev([]byte{flagPut}, kv.CreateRevision)
	v = append(binary.BigEndian.AppendUint64(v, uint64(kv.Version)), kv.Value...)
	if err := bk[bucketKV].Put(k, v); err != nil {
		return err
	}
	if err := bk[bucketKeys].Put([]byte(kv.Key), []byte{}); err != nil {
		return err
	}
	return bk[bucketRevs].Put(revBytes(kv.ModRevision), []byte(kv.Key))
}

// fileFormat reads the format version and the number of version rows of
// the file at path, and checks that it holds exactly one layout's buckets.
func fileFormat(t *testing.T, path string) (uint64, int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var format uint64
	rows := 0
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		if format, err = layoutFormat(tx); err != nil {
			return err
		}
		rowsBucket, other := bucketVersions, bucketKV
		if format == formatV1 {
			rowsBucket, other = bucketKV, bucketVersions
		}
		if tx.Bucket([]byte(other)) != nil {
			return fmt.Errorf("format %d file also holds bucket %s", format, other)
		}
		rows = tx.Bucket([]byte(rowsBucket)).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatalf("after the kill: %v", err)
	}
	return format, rows
}

// killMigration runs the child on path and kills it delay after it logged
// that the migration starts. It reports whether the child got to print
// "opened" (the migration committed) before the kill.
func killMigration(t *testing.T, path string, delay time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, sc, stderr := startChild(ctx, t, migrateChildEnv+"="+path)
	migrating, opened := false, false
	for sc.Scan() {
		switch {
		case strings.Contains(sc.Text(), "migrating the store to format 2"):
			migrating = true
			time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		case sc.Text() == "opened":
			opened = true
		}
	}
	err := cmd.Wait()
	if !migrating {
		t.Fatalf("the child never logged the migration: %v, stderr: %s", err, stderr.String())
	}
	return opened
}

// TestMigrationKilledMidwayLeavesFormat1: a process killed (SIGKILL) while
// it migrates a format-1 file leaves it format 1, every row in place (the
// migration is the one transaction that opens the file); the next Open
// migrates it and every read answers as the format-1 file did. Kills that
// land after the migration committed find format 2 whole.
func TestMigrationKilledMidwayLeavesFormat1(t *testing.T) {
	orig := filepath.Join(t.TempDir(), "format1.db")
	m := writeFormat1(t, orig, migrateKeys, migrateVersions)
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, err := Open(orig, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("migrating %d versions in this process: %v", migrateVersions, took)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	for i, delay := range []time.Duration{0, took / 4, took / 2, 3 * took / 4, 7 * took / 8, 4 * took} {
		path := filepath.Join(t.TempDir(), "state.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		opened := killMigration(t, path, delay)
		format, rows := fileFormat(t, path)
		if rows != migrateVersions || (format == formatV1) == opened {
			t.Fatalf("round %d (kill %v after the migration began): format %d with %d rows, child opened %v; want format 1 if it did not open, %d rows",
				i, delay, format, rows, opened, migrateVersions)
		}
		if format == formatV1 {
			interrupted++
		}
		t0 := time.Now()
		checkReopened(t, path, m)
		t.Logf("round %d: kill %v after the migration began, format %d left; reopen and check %v", i, delay, format, time.Since(t0))
	}
	if interrupted == 0 {
		t.Fatalf("no kill landed inside the migration (it takes %v in this process)", took)
	}
}

// checkReopened opens path (migrating it if it is still format 1) and
// compares every key at a sample of revisions with the model.
func checkReopened(t *testing.T, path string, m *model) {
	t.Helper()
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer func() { _ = s.Close() }()
	if format, _ := fileFormatOf(s); format != formatVersion {
		t.Fatalf("reopened file has format %d", format)
	}
	checkIndexMatchesFile(t, s)
	keys := make([]string, 0, migrateKeys)
	for i := range migrateKeys {
		keys = append(keys, fmt.Sprintf("m/%05d", i))
	}
	for _, rev := range []uint64{migrateKeys, migrateVersions} {
		checkRev(t, s, m, keys, rev)
	}
}

// fileFormatOf reads the format version of an open store.
func fileFormatOf(s *Store) (uint64, error) {
	var format uint64
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		format, err = layoutFormat(tx)
		return err
	})
	return format, err
}
