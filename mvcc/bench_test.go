package mvcc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Large fixture shared by the read benchmarks, built once per process.
const (
	fixRevisions = 1_000_000
	fixKeys      = 10_000 // keys k/000000..k/009999, 100 versions each
	fixResources = 10_000 // audit records per resource: 100
	fixBatch     = 10_000
)

var bigFixture struct {
	once  sync.Once
	dir   string
	store *Store
	err   error
}

// benchCleanup removes the shared fixture (called from TestMain).
func benchCleanup() {
	if bigFixture.store != nil {
		_ = bigFixture.store.Close()
	}
	if bigFixture.dir != "" {
		_ = os.RemoveAll(bigFixture.dir)
	}
}

// fixtureEntry is revision i of the large fixture: one put of key
// (i-1) mod fixKeys and one audit record of resource i mod fixResources.
func fixtureEntry(i uint64, value []byte) Entry {
	at := time.Unix(1_700_000_000, 0).Add(time.Duration(i) * time.Millisecond)
	r := wal.Record{Kind: wal.KindNote, ResourceID: fmt.Sprintf("i-%05d", i%fixResources), Time: at, Node: "n1", Term: 1,
		Note: &wal.Note{Text: "benchmark"}}
	return Entry{Index: i, Term: 1, Ops: []Op{{Type: OpPut, Key: fmt.Sprintf("k/%06d", (i-1)%fixKeys), Value: value}},
		Records: []wal.Record{r}}
}

// largeStore returns the shared 1,000,000-revision store.
func largeStore(b *testing.B) *Store {
	b.Helper()
	bigFixture.once.Do(func() { bigFixture.store, bigFixture.err = buildLargeStore() })
	if bigFixture.err != nil {
		b.Fatalf("fixture: %v", bigFixture.err)
	}
	return bigFixture.store
}

// buildLargeStore builds the fixture in a fresh temp dir, or reuses the
// one in $OVI_MVCC_BENCH_DIR if set (kept between runs; for development).
func buildLargeStore() (*Store, error) {
	dir := os.Getenv("OVI_MVCC_BENCH_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "ovi-mvcc-bench-*"); err != nil {
			return nil, err
		}
		bigFixture.dir = dir // removed by benchCleanup
	}
	s, err := Open(filepath.Join(dir, "big.db"), Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	value := make([]byte, 100)
	for i := s.CurrentRevision() + 1; i <= fixRevisions; i += fixBatch {
		batch := make([]Entry, 0, fixBatch)
		for j := i; j < i+fixBatch; j++ {
			batch = append(batch, fixtureEntry(j, value))
		}
		if err := s.Commit(batch); err != nil {
			return s, err
		}
	}
	fmt.Fprintf(os.Stderr, "fixture: %d revisions ready in %v (%d MB)\n", fixRevisions, time.Since(start).Round(time.Second), s.SizeBytes()>>20)
	return s, nil
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per op: on a shared machine wall time includes
// waiting for a core, CPU time does not.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkGetOldRevision: Get(key, rev) at a random old revision with
// 1,000,000 revisions stored. Target ≤ 20 µs/op.
func BenchmarkGetOldRevision(b *testing.B) {
	s := largeStore(b)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		key := fmt.Sprintf("k/%06d", rng.IntN(fixKeys))
		rev := fixKeys + 1 + rng.Uint64N(fixRevisions/2)
		if _, err := s.Get(key, rev); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkListOldRevision: List(prefix, rev) of 10,000 keys at an old
// revision. Target ≤ 30 ms/op.
func BenchmarkListOldRevision(b *testing.B) {
	s := largeStore(b)
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		rev := fixKeys + 1 + rng.Uint64N(fixRevisions/2)
		kvs, err := s.List("k/", rev)
		if err != nil || len(kvs) != fixKeys {
			b.Fatalf("List = %d keys, %v", len(kvs), err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkReplayByResource: Replay by resource id returning 100 of
// 1,000,000 records. Target ≤ 2 ms/op.
func BenchmarkReplayByResource(b *testing.B) {
	s := largeStore(b)
	rng := rand.New(rand.NewPCG(5, 6))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		id := fmt.Sprintf("i-%05d", rng.IntN(fixResources))
		recs, err := s.Replay(ReplayFilter{ResourceID: id})
		if err != nil || len(recs) != fixRevisions/fixResources {
			b.Fatalf("Replay(%s) = %d records, %v", id, len(recs), err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkCommit512Sync: the ApplyBatch equivalent. One op is a Commit of
// 512 entries, each one put of a 256-byte value and one audit record,
// fsync on. Target ≥ 50,000 records/s.
func BenchmarkCommit512Sync(b *testing.B) { benchCommit(b, Options{}) }

// BenchmarkCommit512NoSync is the same without fsync, to show the share of
// the disk flushes.
func BenchmarkCommit512NoSync(b *testing.B) { benchCommit(b, Options{NoSync: true}) }

// BenchmarkCommit512Deferred is the same with deferred sync every 100 ms
// (the agent's store): commits do not fsync, the syncer does.
func BenchmarkCommit512Deferred(b *testing.B) {
	benchCommit(b, Options{SyncInterval: 100 * time.Millisecond})
}

func benchCommit(b *testing.B, opts Options) {
	path := filepath.Join(b.TempDir(), "commit.db")
	s, err := Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	value := make([]byte, 256)
	at := time.Unix(1_700_000_000, 0)
	var index uint64
	batches := 0
	s.mu.RLock()
	before := s.db.Stats()
	s.mu.RUnlock()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		b.StopTimer()
		batch := make([]Entry, 512)
		for j := range batch {
			index++
			id := fmt.Sprintf("i-%06d", index%50_000)
			batch[j] = Entry{Index: index, Term: 1,
				Ops:     []Op{{Type: OpPut, Key: "notes/" + id, Value: value}},
				Records: []wal.Record{{Kind: wal.KindNote, ResourceID: id, Time: at.Add(time.Duration(index)), Node: "n1", Term: 1, Note: &wal.Note{Text: "bench note"}}}}
		}
		b.StartTimer()
		if err := s.Commit(batch); err != nil {
			b.Fatal(err)
		}
		batches++
	}
	b.StopTimer()
	reportCPU(b, cpu0) // includes building the batches (timer stopped)
	s.mu.RLock()
	after := s.db.Stats()
	s.mu.RUnlock()
	delta := after.Sub(&before)
	b.ReportMetric(float64(delta.TxStats.GetWrite())/float64(batches), "page-writes/op")
	records := float64(batches * 512)
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err == nil {
		b.ReportMetric(float64(st.Blocks*512)/records, "disk-B/record")
	}
	b.ReportMetric(float64(s.SizeBytes())/records, "file-B/record")
}

// BenchmarkRawFsync: the disk's own cost of write + fsync on a temp file in
// the same file system, so the figures above read as ratios. 4KiB is one
// page; 512KiB is about what one Commit512 writes.
func BenchmarkRawFsync(b *testing.B) {
	for _, size := range []int{4 << 10, 512 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			f, err := os.CreateTemp(b.TempDir(), "fsync")
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			buf := make([]byte, size)
			var off int64
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := f.WriteAt(buf, off); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				off = (off + int64(size)) % (16 << 20)
			}
		})
	}
}
