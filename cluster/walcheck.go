package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
	raftwaltypes "github.com/hashicorp/raft-wal/types"
	bolt "go.etcd.io/bbolt"
)

// checkRaftWAL reads data_dir/raft/wal read-only before raft-wal opens it:
// it returns the last segment's path, or the file at fault with
// ErrRaftLogCorrupt when raft-wal
// would drop or serve damaged entries without a word. raft-wal (v0.4)
// trusts what it finds: it checks the CRC of the tail segment's last
// append only, never a sealed segment's; it reads the tail up to the
// first frame header it cannot parse and treats everything after as a
// torn write; a missing wal-meta.db makes it start an empty log and
// delete every segment; a missing tail segment is recreated empty. So:
//
//   - wal-meta.db: bbolt's own consistency check, the segment list, the
//     term and vote (8 bytes each), read with faults turned into errors;
//   - every sealed segment: its header, every append's CRC, the index
//     frame where wal-meta.db says, as many entries as it records;
//   - the tail: every append raft-wal keeps must pass its CRC, no append
//     past what it keeps may (a committed append after damage is not a
//     torn write), and it holds no index frame (a stop between sealing
//     it and listing the next segment: raft-wal recovers it sealed and
//     refuses every append with ErrSealed).
//
// A torn last append (a crash or power loss before its fsync returned)
// stays what raft-wal recovers from. What no check here can tell from a
// torn write — damage inside the tail's last append, or a missing tail —
// checkLogHoldsApplied catches once the store has applied those entries.
// The check reads every segment once (the log is bounded by
// trailing_logs plus the snapshot threshold: one or two 64 MiB segments).
func checkRaftWAL(walDir string) (string, error) {
	meta := filepath.Join(walDir, metadb.FileName)
	state, found, err := readWALMeta(meta)
	if err != nil || !found {
		if err == nil {
			err = checkNoOrphanSegments(walDir)
		}
		return meta, err
	}
	last := meta
	for i, si := range state.Segments {
		path := filepath.Join(walDir, segment.FileName(si))
		last = path
		tail := si.SealTime.IsZero()
		if tail && i != len(state.Segments)-1 {
			return meta, fmt.Errorf("%w: segment %s is unsealed but not the last", ErrRaftLogCorrupt, segment.FileName(si))
		}
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, os.ErrNotExist) && tail:
			continue // recreated by raft-wal; checkLogHoldsApplied judges
		case errors.Is(err, os.ErrNotExist):
			return path, fmt.Errorf("%w: missing; wal-meta.db lists it with entries %d–%d", ErrRaftLogCorrupt, si.MinIndex, si.MaxIndex)
		case err != nil:
			return path, fmt.Errorf("cluster: read raft log segment: %w", err)
		}
		if tail {
			err = checkWALTail(data, si)
		} else {
			err = checkWALSealed(data, si)
		}
		if err != nil {
			return path, err
		}
	}
	return last, nil
}

// checkNoOrphanSegments: without wal-meta.db, raft-wal would start an
// empty log and delete the segments it finds.
func checkNoOrphanSegments(walDir string) error {
	segs, err := filepath.Glob(filepath.Join(walDir, "*.wal"))
	if err != nil {
		return fmt.Errorf("cluster: list %s: %w", walDir, err)
	}
	if len(segs) > 0 {
		return fmt.Errorf("%w: missing, and %s holds %d segment files (raft-wal would delete them)", ErrRaftLogCorrupt, walDir, len(segs))
	}
	return nil
}

// readWALMeta reads wal-meta.db read-only: bbolt's consistency check,
// raft-wal's segment list and Raft's term and vote. found is false when
// there is no file (a new log).
func readWALMeta(path string) (state raftwaltypes.PersistentState, found bool, err error) {
	if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
		return state, false, nil
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrRaftLogCorrupt, p)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true, Timeout: raftDBCheckTimeout})
	if err != nil {
		return state, true, boltOpenError(err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			return fmt.Errorf("%w: %w", ErrRaftLogCorrupt, cerr)
		}
		return readWALMetaTx(tx, &state)
	})
	return state, true, err
}

func readWALMetaTx(tx *bolt.Tx, state *raftwaltypes.PersistentState) error {
	meta, stable := tx.Bucket([]byte(metadb.MetaBucket)), tx.Bucket([]byte(metadb.StableBucket))
	if meta == nil || stable == nil {
		return fmt.Errorf("%w: bucket %q or %q is missing", ErrRaftLogCorrupt, metadb.MetaBucket, metadb.StableBucket)
	}
	if raw := meta.Get([]byte(metadb.MetaKey)); raw != nil {
		if err := json.Unmarshal(raw, state); err != nil {
			return fmt.Errorf("%w: segment list: %w", ErrRaftLogCorrupt, err)
		}
	}
	for _, key := range []string{"CurrentTerm", "LastVoteTerm"} {
		if v := stable.Get([]byte(key)); v != nil && len(v) != 8 {
			return fmt.Errorf("%w: %s is %d bytes, not 8", ErrRaftLogCorrupt, key, len(v))
		}
	}
	return nil
}

// checkWALSealed checks a sealed segment whole: every append was synced
// before the next segment was listed.
func checkWALSealed(data []byte, si raftwaltypes.SegmentInfo) error {
	s := scanWALSegment(data)
	if err := checkWALHeader(s.header, si); err != nil {
		return err
	}
	first := si.BaseIndex
	for _, b := range s.batches {
		if !b.crcOK && walLive(si, first, b.entries) {
			return fmt.Errorf("%w: the append of entries %d–%d at offset %d fails its CRC (sealed segment)",
				ErrRaftLogCorrupt, first, first+uint64(b.entries)-1, b.start)
		}
		first += uint64(b.entries)
	}
	n := len(s.batches)
	if s.indexStart == 0 || uint64(s.indexStart) != si.IndexStart || n == 0 || s.indexStart > s.batches[n-1].commit {
		return fmt.Errorf("%w: no committed index frame at offset %d (frames end at offset %d of %d bytes)",
			ErrRaftLogCorrupt, si.IndexStart, s.stop, s.size)
	}
	if held := first - si.BaseIndex; si.MaxIndex >= si.BaseIndex && held < si.MaxIndex-si.BaseIndex+1 {
		return fmt.Errorf("%w: holds %d entries from %d, wal-meta.db records up to %d", ErrRaftLogCorrupt, held, si.BaseIndex, si.MaxIndex)
	}
	return nil
}

// checkWALTail checks the unsealed last segment: what raft-wal keeps must
// pass its CRC, and what it drops must look like one torn append.
func checkWALTail(data []byte, si raftwaltypes.SegmentInfo) error {
	s := scanWALSegment(data)
	k := s.kept()
	if k > 0 {
		if err := checkWALHeader(s.header, si); err != nil {
			return err
		}
	}
	first := si.BaseIndex
	for _, b := range s.batches[:k] {
		if !b.crcOK && walLive(si, first, b.entries) {
			return fmt.Errorf("%w: the append of entries %d–%d at offset %d fails its CRC, and later appends are intact",
				ErrRaftLogCorrupt, first, first+uint64(b.entries)-1, b.start)
		}
		first += uint64(b.entries)
	}
	if s.indexStart > 0 {
		return fmt.Errorf("%w: the last segment holds an index frame at offset %d but wal-meta.db lists it unsealed "+
			"(a stop between sealing it and listing the next): raft-wal would refuse every append to it", ErrRaftLogCorrupt, s.indexStart-walFrameLen)
	}
	if at, ok := committedAfter(data, s.keptEnd()); ok {
		return fmt.Errorf("%w: damage at offset %d ends the entries raft-wal reads at index %d, but a committed append ends at offset %d: "+
			"raft-wal would drop it as a torn write", ErrRaftLogCorrupt, s.keptEnd(), first-1, at)
	}
	return nil
}

// walLive reports whether a batch of n entries from first holds entries
// the log still has (compaction raises MinIndex, a tail truncation lowers
// MaxIndex; the bytes stay) or only frames (an index frame).
func walLive(si raftwaltypes.SegmentInfo, first uint64, n int) bool {
	last := first + uint64(n) - 1
	return n == 0 || (last >= si.MinIndex && (si.MaxIndex == 0 || first <= si.MaxIndex))
}

func checkWALHeader(h walHeader, si raftwaltypes.SegmentInfo) error {
	if !h.ok || h.baseIndex != si.BaseIndex || h.id != si.ID || h.code != si.Codec {
		return fmt.Errorf("%w: the segment header does not match wal-meta.db (base index %d, id %d)", ErrRaftLogCorrupt, si.BaseIndex, si.ID)
	}
	return nil
}

// checkLogHoldsApplied refuses a log that ends before what the store
// (data_dir/state.db) has applied past the latest snapshot: those entries
// came through this log, were synced to it before they were applied, and
// so were committed; a log without them lost them (a damaged last append,
// a missing tail segment) and must not vote or serve.
func checkLogHoldsApplied(logs raft.LogStore, applied, snapshot uint64) error {
	if applied <= snapshot {
		return nil
	}
	last, err := logs.LastIndex()
	if err != nil {
		return fmt.Errorf("cluster: read the raft log's last index: %w", err)
	}
	if last >= applied {
		return nil
	}
	return fmt.Errorf("%w: it ends at index %d but the store has applied up to %d (the latest snapshot ends at %d): committed entries %d–%d are gone",
		ErrRaftLogCorrupt, last, applied, snapshot, last+1, applied)
}
