package mvcc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
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
	if noteTemplate.dir != "" {
		_ = os.RemoveAll(noteTemplate.dir)
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

// The note workload of the cluster benchmark (bench-peers, issue 14): every
// record is a note on one of noteIDs random resource ids, which the FSM
// stores as the key notes/<id> (the record's bytes as the value) plus the
// record in the audit log (wal, idx_res, idx_kind, idx_time). Raft hands the
// FSM batches of about 1 entry at 1 client and about 32 at 64 clients.
const (
	noteIDs     = 100_000
	noteText    = 256 // text bytes; the encoded record is ≈ 300 bytes
	notePrefill = 1_000
)

// noteTemplate is a store holding one note on each of the noteIDs ids
// (every key has a version), built once per process and copied per run.
var noteTemplate struct {
	once sync.Once
	dir  string
	path string
	next uint64 // the first free index
	err  error
}

// noteEntry is a note on resource id at index, as the FSM builds it: the
// record's encoding is both the key's value and the audit record.
func noteEntry(index uint64, id int, text string) (Entry, error) {
	rid := fmt.Sprintf("i-%06d", id)
	r := wal.Record{Kind: wal.KindNote, ResourceID: rid, Time: time.Unix(1_700_000_000, int64(index)*1000), Node: "n1", Term: 1,
		Note: &wal.Note{Text: text}}
	enc, err := wal.EncodeRecord(nil, &r)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Index: index, Term: 1, Ops: []Op{{Type: OpPut, Key: "notes/" + rid, Value: enc}},
		Records: []wal.Record{r}, Encoded: [][]byte{enc}}, nil
}

// buildNoteTemplate writes the template store.
func buildNoteTemplate() {
	t := &noteTemplate
	if t.dir, t.err = os.MkdirTemp("", "ovi-mvcc-notes-*"); t.err != nil {
		return
	}
	t.path = filepath.Join(t.dir, "notes.db")
	s, err := Open(t.path, Options{NoSync: true})
	if err != nil {
		t.err = err
		return
	}
	text := string(make([]byte, noteText))
	index := uint64(1)
	for id := 0; id < noteIDs && err == nil; id += notePrefill {
		batch := make([]Entry, 0, notePrefill)
		for j := id; j < id+notePrefill && err == nil; j++ {
			var e Entry
			e, err = noteEntry(index, j, text)
			batch = append(batch, e)
			index++
		}
		if err == nil {
			err = s.Commit(batch)
		}
	}
	t.next = index
	t.err = errors.Join(err, s.Close())
}

// openNoteStore copies the template into a temp dir and opens it as the
// agent does (deferred sync every 100 ms).
func openNoteStore(b *testing.B) (*Store, uint64) {
	b.Helper()
	noteTemplate.once.Do(buildNoteTemplate)
	if noteTemplate.err != nil {
		b.Fatalf("note template: %v", noteTemplate.err)
	}
	data, err := os.ReadFile(noteTemplate.path)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "notes.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := Open(path, Options{SyncInterval: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, noteTemplate.next
}

// BenchmarkCommitNotes is the cost per record of mvcc.Commit on the
// cluster's note workload: random keys over 100,000 ids that all hold a
// version, ≈ 300-byte values, batches of 1 and 32 entries, deferred sync.
// Besides ns/op, B/op and allocs/op (per Commit), it reports per record:
// CPU, the bytes of dirty pages the commits wrote (bbolt's page
// allocations) and the page writes (one pwrite per dirty page).
func BenchmarkCommitNotes(b *testing.B) {
	for _, batch := range []int{1, 32, 128, 512} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchCommitNotes(b, batch) })
	}
}

func benchCommitNotes(b *testing.B, batch int) {
	s, index := openNoteStore(b)
	rng := rand.New(rand.NewPCG(7, uint64(batch)))
	text := string(make([]byte, noteText))
	const chunk = 1024 // batches built at a time, timer stopped
	var pending [][]Entry
	for range 200 { // warm up: fault in the mapped pages the commits touch
		e, err := noteEntry(index, rng.IntN(noteIDs), text)
		if err == nil {
			err = s.Commit([]Entry{e})
		}
		if err != nil {
			b.Fatal(err)
		}
		index++
	}
	s.mu.RLock()
	before := s.db.Stats()
	s.mu.RUnlock()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var building time.Duration // CPU spent building batches, not committing
	ops := 0
	for b.Loop() {
		if len(pending) == 0 {
			b.StopTimer()
			c := cpuTime()
			pending = make([][]Entry, chunk)
			for i := range pending {
				pending[i] = make([]Entry, batch)
				for j := range pending[i] {
					e, err := noteEntry(index, rng.IntN(noteIDs), text)
					if err != nil {
						b.Fatal(err)
					}
					pending[i][j] = e
					index++
				}
			}
			building += cpuTime() - c
			b.StartTimer()
		}
		if err := s.Commit(pending[0]); err != nil {
			b.Fatal(err)
		}
		pending = pending[1:]
		ops++
	}
	b.StopTimer()
	records := float64(ops * batch)
	b.ReportMetric(float64(cpuTime()-cpu0-building)/records, "cpu-ns/record")
	s.mu.RLock()
	after := s.db.Stats()
	s.mu.RUnlock()
	delta := after.Sub(&before)
	b.ReportMetric(float64(delta.TxStats.GetPageAlloc())/records, "dirty-B/record")
	b.ReportMetric(float64(delta.TxStats.GetWrite())/records, "pwrites/record")
}

// BenchmarkOpenLarge: Open (and Close) of the 1,000,000-version fixture:
// bbolt's freelist rebuild and the key index built from the versions
// bucket. It reports the heap the open store holds (the key index, mostly)
// per version.
func BenchmarkOpenLarge(b *testing.B) {
	s := largeStore(b)
	path := s.path
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var heap uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s2, err := Open(path, Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
		if err := s2.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(heap)/fixRevisions, "heap-B/version")
	bigFixture.store, bigFixture.err = Open(path, Options{NoSync: true}) // for the benchmarks after this one
}
