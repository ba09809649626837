package cluster

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	raftwal "github.com/hashicorp/raft-wal"
	walfs "github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
	raftwaltypes "github.com/hashicorp/raft-wal/types"
)

// walFixture is a closed raft-wal log as a node leaves it: 600 entries of
// 300 bytes appended 4 at a time (one fsync and commit frame each) into
// 64 KiB segments, entries up to 200 compacted away (the first segment
// with them): three sealed segments and an unsealed tail.
type walFixture struct {
	dir  string // data_dir/raft/wal
	segs []raftwaltypes.SegmentInfo
}

const (
	walFixtureEntries  = 600
	walFixturePerBatch = 4
	walFixtureFirst    = 201 // after compaction
)

func writeRaftWAL(t *testing.T) walFixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := raftwal.Open(dir, raftwal.WithSegmentSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= walFixtureEntries; i += walFixturePerBatch {
		batch := make([]*raft.Log, 0, walFixturePerBatch)
		for j := i; j < i+walFixturePerBatch; j++ {
			batch = append(batch, &raft.Log{Index: uint64(j), Term: 2, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("%04d%s", j, strings.Repeat("r", 296)))})
		}
		if err := w.StoreLogs(batch); err != nil {
			t.Fatal(err)
		}
	}
	// Raft's compaction after a snapshot: the first segment goes.
	if err := w.DeleteRange(1, walFixtureFirst-1); err != nil {
		t.Fatal(err)
	}
	if err := w.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	state, found, err := readWALMeta(filepath.Join(dir, metadb.FileName))
	if err != nil || !found || len(state.Segments) < 3 {
		t.Fatalf("fixture: %d segments, found %v, %v", len(state.Segments), found, err)
	}
	return walFixture{dir: dir, segs: state.Segments}
}

// path is the file of segment i (negative: from the end; -1 is the tail).
func (f walFixture) path(i int) string {
	if i < 0 {
		i += len(f.segs)
	}
	return filepath.Join(f.dir, segment.FileName(f.segs[i]))
}

// scan reads segment i's batches.
func (f walFixture) scan(t *testing.T, i int) (walScan, []byte) {
	t.Helper()
	data, err := os.ReadFile(f.path(i))
	if err != nil {
		t.Fatal(err)
	}
	return scanWALSegment(data), data
}

// poke overwrites one byte of segment i at off with v.
func (f walFixture) poke(t *testing.T, i int, off int64, v byte) {
	t.Helper()
	data, err := os.ReadFile(f.path(i))
	if err != nil {
		t.Fatal(err)
	}
	data[off] = v
	if err := os.WriteFile(f.path(i), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rawOpen is what raft-wal alone makes of the directory: its last index
// and entry idx's data, or the error.
func (f walFixture) rawOpen(t *testing.T, idx uint64) (uint64, string, error) {
	t.Helper()
	w, err := raftwal.Open(f.dir, raftwal.WithSegmentSize(64<<10))
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = w.Close() }()
	last, _ := w.LastIndex()
	var l raft.Log
	if err := w.GetLog(idx, &l); err != nil {
		return last, "", err
	}
	return last, string(l.Data), nil
}

func wantEntry(idx uint64) string { return fmt.Sprintf("%04d%s", idx, strings.Repeat("r", 296)) }

// wantRefused checks that checkRaftWAL refuses and names file.
func wantRefused(t *testing.T, f walFixture, file, cause string) {
	t.Helper()
	path, err := checkRaftWAL(f.dir)
	if !errors.Is(err, ErrRaftLogCorrupt) || path != file || !strings.Contains(err.Error(), cause) {
		t.Fatalf("checkRaftWAL = %s, %v; want ErrRaftLogCorrupt naming %s with %q", path, err, file, cause)
	}
	t.Logf("refused: %s: %v", filepath.Base(path), err)
}

func TestCheckRaftWALAcceptsAHealthyLog(t *testing.T) {
	f := writeRaftWAL(t)
	path, err := checkRaftWAL(f.dir)
	if err != nil || path != f.path(-1) {
		t.Fatalf("healthy log: %s, %v", path, err)
	}
	if last, data, err := f.rawOpen(t, 300); err != nil || last != walFixtureEntries || data != wantEntry(300) {
		t.Fatalf("after the check: last %d, entry 300 %.10q, %v", last, data, err)
	}
	if path, err := checkRaftWAL(filepath.Join(t.TempDir(), "wal")); err != nil {
		t.Fatalf("a new log refused: %s %v", path, err)
	}
	// Damage in compacted entries (197–200, below the first index 201)
	// is never read: accepted.
	s, _ := f.scan(t, 0)
	f.poke(t, 0, s.batches[1].start+walFrameLen+30, 'X')
	if path, err := checkRaftWAL(f.dir); err != nil {
		t.Fatalf("damage in compacted entries refused: %s %v", path, err)
	}
}

// TestRaftWALServesAFlippedByteInASealedSegment reproduces what raft-wal
// does with a flipped byte inside an entry of a sealed segment: it opens,
// and hands Raft the damaged entry. checkRaftWAL refuses, naming the file.
func TestRaftWALServesAFlippedByteInASealedSegment(t *testing.T) {
	f := writeRaftWAL(t)
	s, _ := f.scan(t, 1)
	b := s.batches[2]
	idx := f.segs[1].BaseIndex + uint64(s.batches[0].entries+s.batches[1].entries)
	f.poke(t, 1, b.start+walFrameLen+30, 'X') // the entry's first data bytes
	last, data, err := f.rawOpen(t, idx)
	if err != nil || last != walFixtureEntries || data == wantEntry(idx) {
		t.Fatalf("raft-wal: last %d, entry %d %.12q, %v; want it served damaged", last, idx, data, err)
	}
	t.Logf("raft-wal alone: opens, last index %d, entry %d served as …%q…", last, idx, data[20:32])
	wantRefused(t, f, f.path(1), "fails its CRC (sealed segment)")
}

// TestRaftWALFlippedByteInTheTail: a flipped byte inside an append of the
// tail that later appends follow is served by raft-wal as it is (only the
// last append's CRC is checked); one in a frame header makes it stop
// reading there and drop every entry after it, as if the rest were a torn
// write. Both are refused.
func TestRaftWALFlippedByteInTheTail(t *testing.T) {
	t.Run("entry data", func(t *testing.T) {
		f := writeRaftWAL(t)
		s, _ := f.scan(t, -1)
		idx := f.segs[len(f.segs)-1].BaseIndex + uint64(s.batches[0].entries)
		f.poke(t, -1, s.batches[1].start+walFrameLen+30, 'X')
		last, data, err := f.rawOpen(t, idx)
		if err != nil || last != walFixtureEntries || data == wantEntry(idx) {
			t.Fatalf("raft-wal: last %d, entry %d %.12q, %v", last, idx, data, err)
		}
		t.Logf("raft-wal alone: last index %d, entry %d served as …%q…", last, idx, data[20:32])
		wantRefused(t, f, f.path(-1), "fails its CRC, and later appends are intact")
	})
	t.Run("frame header", func(t *testing.T) {
		f := writeRaftWAL(t)
		s, _ := f.scan(t, -1)
		f.poke(t, -1, s.batches[2].start, 0x7f) // the frame type of an entry
		last, _, err := f.rawOpen(t, walFixtureFirst)
		want := f.segs[len(f.segs)-1].BaseIndex + uint64(s.batches[0].entries+s.batches[1].entries) - 1
		if err != nil || last != want {
			t.Fatalf("raft-wal: last %d, %v; want %d (silently truncated)", last, err, want)
		}
		t.Logf("raft-wal alone: last index %d of %d: %d committed entries dropped without an error", last, walFixtureEntries, walFixtureEntries-int(last))
		wantRefused(t, f, f.path(-1), "raft-wal would drop it as a torn write")
	})
}

// TestRaftWALLastAppendDamagedOrTorn: damage inside the tail's last append
// looks like a torn write to any reader of the segment (its commit frame's
// CRC fails): raft-wal drops the append, and so would a crash before its
// fsync returned. checkRaftWAL accepts both; checkLogHoldsApplied refuses
// the log once the store has applied what was dropped, and accepts a torn
// append the store never saw.
func TestRaftWALLastAppendDamagedOrTorn(t *testing.T) {
	for _, tc := range []struct {
		name string
		hit  func(t *testing.T, f walFixture, last walBatch)
	}{
		{"flipped byte", func(t *testing.T, f walFixture, last walBatch) { f.poke(t, -1, last.start+walFrameLen+30, 'X') }},
		{"commit frame never written", func(t *testing.T, f walFixture, last walBatch) {
			for i := range int64(walFrameLen) {
				f.poke(t, -1, last.commit+i, 0)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeRaftWAL(t)
			s, _ := f.scan(t, -1)
			tc.hit(t, f, s.batches[len(s.batches)-1])
			if path, err := checkRaftWAL(f.dir); err != nil {
				t.Fatalf("a torn-looking last append refused by checkRaftWAL: %s %v", path, err)
			}
			w, err := raftwal.Open(f.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = w.Close() }()
			last, _ := w.LastIndex()
			if last != walFixtureEntries-walFixturePerBatch {
				t.Fatalf("raft-wal recovered to %d, want %d", last, walFixtureEntries-walFixturePerBatch)
			}
			err = checkLogHoldsApplied(w, walFixtureEntries, 0)
			if !errors.Is(err, ErrRaftLogCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("committed entries %d–%d are gone", last+1, walFixtureEntries)) {
				t.Fatalf("store applied %d, log ends at %d: %v", walFixtureEntries, last, err)
			}
			if err := checkLogHoldsApplied(w, last, 0); err != nil {
				t.Fatalf("a torn append the store never applied: %v", err)
			}
			if err := checkLogHoldsApplied(w, walFixtureEntries, walFixtureEntries); err != nil {
				t.Fatalf("applied from a snapshot: %v", err)
			}
		})
	}
}

// TestRaftWALTruncatedOrMissingSegment: a sealed segment cut short or gone
// is refused by name (raft-wal opens a cut one and fails later reads, and
// refuses a missing one with a bare "no such file"); a tail cut short or
// gone is recovered by raft-wal as shorter or empty, which only the
// store's applied index can tell from a crash.
func TestRaftWALTruncatedOrMissingSegment(t *testing.T) {
	f := writeRaftWAL(t)
	if err := os.Truncate(f.path(1), 20_000); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, f, f.path(1), "no committed index frame")
	if err := os.Remove(f.path(1)); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, f, f.path(1), "missing; wal-meta.db lists it")
	// (Last: a failed raftwal.Open leaves wal-meta.db open and locked.)
	if _, _, err := f.rawOpen(t, walFixtureFirst); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("raft-wal on a missing sealed segment: %v", err)
	}

	for _, cut := range []func(string, int64) error{os.Truncate, func(p string, _ int64) error { return os.Remove(p) }} {
		g := writeRaftWAL(t)
		s, _ := g.scan(t, -1)
		if err := cut(g.path(-1), s.batches[2].start+20); err != nil {
			t.Fatal(err)
		}
		if path, err := checkRaftWAL(g.dir); err != nil {
			t.Fatalf("tail cut: checkRaftWAL %s %v", path, err)
		}
		w, err := raftwal.Open(g.dir)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := w.LastIndex()
		err = checkLogHoldsApplied(w, walFixtureEntries, 0)
		_ = w.Close()
		if last >= walFixtureEntries || !errors.Is(err, ErrRaftLogCorrupt) {
			t.Fatalf("tail cut: raft-wal last %d, checkLogHoldsApplied %v", last, err)
		}
		t.Logf("tail cut: raft-wal recovers to %d silently; refused: %v", last, err)
	}
}

// TestRaftWALDamagedMeta: wal-meta.db overwritten past its meta pages, or
// gone while segments remain (raft-wal would start an empty log and
// delete them), is refused naming it.
func TestRaftWALDamagedMeta(t *testing.T) {
	f := writeRaftWAL(t)
	meta := filepath.Join(f.dir, metadb.FileName)
	data, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	copy(data[2*4096:], strings.Repeat("corrupt!", (len(data)-2*4096)/8))
	if err := os.WriteFile(meta, data, 0o600); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, f, meta, "")
	if err := os.Remove(meta); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, f, meta, "raft-wal would delete them")
	last, _, err := f.rawOpen(t, walFixtureFirst)
	left, _ := filepath.Glob(filepath.Join(f.dir, "*.wal"))
	if !errors.Is(err, raftwal.ErrNotFound) || last != 0 || len(left) != 1 {
		t.Fatalf("raft-wal without wal-meta.db: last %d, %v, %d segment files", last, err, len(left))
	}
	t.Logf("raft-wal alone without wal-meta.db: opens an empty log (last index %d), deletes the %d segments, no error", last, len(f.segs))
}

// TestCorruptRaftWALIsOneLineNamingTheRecovery starts an agent on a wal
// data dir with a damaged sealed segment: one line naming the segment,
// the node and the recovery (remove data_dir/raft).
func TestCorruptRaftWALIsOneLineNamingTheRecovery(t *testing.T) {
	cfg := testConfig(t, "corrupt", 1)
	cfg.Raft.LogStore = LogStoreWAL
	f := writeRaftWAL(t)
	raftDir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(raftDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.dir, filepath.Join(raftDir, "wal")); err != nil {
		t.Fatal(err)
	}
	f.dir = filepath.Join(raftDir, "wal")
	s, _ := f.scan(t, 1)
	f.poke(t, 1, s.batches[1].start+walFrameLen+30, 'X')
	a, err := New(cfg)
	if err == nil {
		_ = a.Shutdown(t.Context())
		t.Fatal("agent started on a damaged wal segment")
	}
	msg := err.Error()
	if !errors.Is(err, ErrRaftLogCorrupt) || strings.Contains(msg, "\n") || !strings.Contains(msg, f.path(1)) ||
		!strings.Contains(msg, "remove-peer "+cfg.NodeName) || !strings.Contains(msg, "remove "+raftDir+" ") {
		t.Fatalf("error = %q", msg)
	}
	t.Log(msg)
}

// TestRaftWALEveryFlippedByteIsCaught flips one byte at 400 random
// offsets of the written part of the segments and wal-meta.db is left
// alone. Each time, either checkRaftWAL refuses, or raft-wal opens and
// serves every live entry as written, or it lost entries the store had
// applied and checkLogHoldsApplied refuses: never a log that opens and
// serves damaged entries or silently fewer.
func TestRaftWALEveryFlippedByteIsCaught(t *testing.T) {
	f := writeRaftWAL(t)
	type region struct {
		seg int
		end int64
	}
	var regions []region
	var total int64
	for i := range f.segs {
		s, _ := f.scan(t, i)
		regions = append(regions, region{i, s.stop})
		total += s.stop
	}
	rng := rand.New(rand.NewPCG(3, 4))
	outcome := map[string]int{}
	for range 400 {
		pos := rng.Int64N(total)
		r := 0
		for pos >= regions[r].end {
			pos -= regions[r].end
			r++
		}
		g := f.copyTo(t)
		g.poke(t, r, pos, g.peek(t, r, pos)^byte(1+rng.IntN(255)))
		outcome[flipOutcome(t, g, r, pos)]++
	}
	t.Logf("400 flipped bytes: %v", outcome)
}

// flipOutcome classifies one damaged log (see above); it fails the test
// on damage that goes unnoticed.
func flipOutcome(t *testing.T, g walFixture, seg int, pos int64) string {
	t.Helper()
	if _, err := checkRaftWAL(g.dir); errors.Is(err, ErrRaftLogCorrupt) {
		return "refused by checkRaftWAL"
	} else if err != nil {
		t.Fatal(err)
	}
	w, err := raftwal.Open(g.dir)
	if err != nil {
		return "refused by raft-wal"
	}
	defer func() { _ = w.Close() }()
	last, _ := w.LastIndex()
	if last < walFixtureEntries {
		if checkLogHoldsApplied(w, walFixtureEntries, 0) == nil {
			t.Fatalf("segment %d offset %d: log ends at %d, not refused", seg, pos, last)
		}
		return "refused: the log lost applied entries"
	}
	var l raft.Log
	for idx := uint64(walFixtureFirst); idx <= last; idx++ {
		if err := w.GetLog(idx, &l); err != nil || string(l.Data) != wantEntry(idx) || l.Index != idx || l.Term != 2 {
			t.Fatalf("segment %d offset %d: entry %d served damaged (%v) after the check passed", seg, pos, idx, err)
		}
	}
	return "harmless (a compacted entry or an unchecked header byte)"
}

// copyTo copies the fixture's directory.
func (f walFixture) copyTo(t *testing.T) walFixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wal")
	if err := os.CopyFS(dir, os.DirFS(f.dir)); err != nil {
		t.Fatal(err)
	}
	return walFixture{dir: dir, segs: f.segs}
}

func (f walFixture) peek(t *testing.T, i int, off int64) byte {
	t.Helper()
	data, err := os.ReadFile(f.path(i))
	if err != nil {
		t.Fatal(err)
	}
	return data[off]
}

// TestRaftWALSealedTailIsRefused: kill -9 after raft-wal sealed its last
// segment (index frame written and synced) and before its background
// rotation listed the next one in wal-meta.db leaves an unsealed segment
// holding an index frame. raft-wal recovers it and then refuses every
// append with ErrSealed, for good; checkRaftWAL refuses it at start
// instead, naming the segment.
func TestRaftWALSealedTailIsRefused(t *testing.T) {
	f := writeRaftWAL(t)
	tail := f.segs[len(f.segs)-1]
	filer := segment.NewFiler(f.dir, walfs.New())
	w, err := filer.RecoverTail(tail)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ForceSeal(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := raftwal.Open(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.StoreLogs([]*raft.Log{{Index: walFixtureEntries + 1, Term: 2, Data: []byte("next")}})
	_ = raw.Close()
	if !errors.Is(err, raftwal.ErrSealed) {
		t.Fatalf("raft-wal's append after the crash: %v", err)
	}
	t.Logf("raft-wal alone: opens, then every append fails: %v", err)
	wantRefused(t, f, f.path(-1), "raft-wal would refuse every append")
}
