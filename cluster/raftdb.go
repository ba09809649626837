package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwaltypes "github.com/hashicorp/raft-wal/types"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrRaftLogCorrupt is returned at start when data_dir/raft/raft.db
// cannot be read back: bad bytes on disk, not a bug.
var ErrRaftLogCorrupt = errors.New("cluster: raft log is corrupt")

// raftDBCheckTimeout bounds the wait for raft.db's file lock while it is
// checked (another process holding it is an error of its own).
const raftDBCheckTimeout = 5 * time.Second

// openLogStore opens data_dir/raft's log store: the one raft.log_store
// names, which must be the one the data dir was created with (its
// log-store marker; raft.db in a data dir older than the marker), or when
// raft.log_store is unset, the data dir's (DefaultLogStore for a new
// one). A new data dir's choice is recorded before Raft writes to it. A
// log that is not new must hold what the store has applied
// (checkLogHoldsApplied).
func (a *Agent) openLogStore(dir string) (LogStore, error) {
	recorded, where, err := recordedLogStore(dir)
	if err != nil {
		return nil, err
	}
	kind := a.cfg.Raft.LogStore
	switch {
	case kind == "" && recorded == "":
		kind = DefaultLogStore
	case kind == "":
		kind = recorded
	case recorded != "" && recorded != kind:
		return nil, fmt.Errorf("%w: raft.log_store is %q but %s records %q; set raft.log_store: %s (or leave it unset), "+
			"or migrate this node to %s: docs/operations.md#changing-the-raft-log-store",
			ErrLogStoreMismatch, kind, where, recorded, recorded, kind)
	}
	store, path, err := a.openCheckedLog(kind, dir)
	if err != nil {
		return nil, err
	}
	if recorded != "" {
		err = a.checkHoldsApplied(store, path)
	}
	if err == nil && (where != filepath.Join(dir, logStoreMarker) || recorded == "") {
		err = recordLogStore(dir, kind)
	}
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	a.logger.Info("raft log store", "store", string(kind), "dir", dir)
	return store, nil
}

// openCheckedLog checks and opens the log of kind in dir; path is the
// file a lost tail would be in (raft.db, or the wal's last segment).
func (a *Agent) openCheckedLog(kind LogStoreKind, dir string) (LogStore, string, error) {
	if kind == LogStoreBoltDB {
		path := filepath.Join(dir, "raft.db")
		store, err := a.openRaftLog(path)
		return store, path, err
	}
	return a.openRaftWAL(dir)
}

// checkHoldsApplied is checkLogHoldsApplied against the store's applied
// index and the latest snapshot.
func (a *Agent) checkHoldsApplied(store LogStore, path string) error {
	if a.store == nil {
		return nil
	}
	applied, _ := a.store.AppliedIndex()
	var snapshot uint64
	if a.snapshots != nil {
		snaps, err := a.snapshots.List()
		if err != nil {
			return fmt.Errorf("cluster: list snapshots: %w", err)
		}
		if len(snaps) > 0 {
			snapshot = snaps[0].Index
		}
	}
	if err := checkLogHoldsApplied(store, applied, snapshot); err != nil {
		return a.raftLogCorrupt(path, err)
	}
	return nil
}

// openRaftWAL checks data_dir/raft/wal (checkRaftWAL), then opens it;
// path is its last segment. What raft-wal itself refuses (ErrCorrupt, a
// segment listed but missing) is ErrRaftLogCorrupt with the same line.
func (a *Agent) openRaftWAL(dir string) (LogStore, string, error) {
	path, err := checkRaftWAL(filepath.Join(dir, "wal"))
	if err != nil {
		return nil, "", a.raftLogCorrupt(path, err)
	}
	store, err := OpenLogStore(LogStoreWAL, dir, newHCLogger("raft-wal", a.logger))
	if errors.Is(err, raftwaltypes.ErrCorrupt) || errors.Is(err, os.ErrNotExist) {
		return nil, "", a.raftLogCorrupt(filepath.Join(dir, "wal"), fmt.Errorf("%w: %w", ErrRaftLogCorrupt, err))
	}
	return store, path, err
}

// openRaftLog checks raft.db, then opens it as the log and stable store.
//
// bbolt trusts its pages: an overwritten branch or leaf page, a freelist
// pointing anywhere or a page id past the end of the file makes it panic
// with a slice-bounds error (or fault on the memory map) at open or on
// the first read of that page, and raft-boltdb panics on a stable value
// that is not 8 bytes — inside Raft's goroutines, where nothing can catch
// it. So before the store is opened for writing, the file is opened read
// only and everything Raft reads at start and while it replicates is read
// once: the freelist, the first and last index, every log entry (decoded)
// and the term and vote. Any panic or fault there, any entry missing
// between the first and the last, is ErrRaftLogCorrupt with one line
// naming the file and the recovery. The check reads the whole log once
// (bounded by trailing_logs plus the snapshot threshold).
func (a *Agent) openRaftLog(path string) (LogStore, error) {
	if err := checkRaftDB(path); err != nil {
		return nil, a.raftLogCorrupt(path, err)
	}
	return OpenLogStore(LogStoreBoltDB, filepath.Dir(path), nil)
}

// raftLogCorrupt is the one-line error for a damaged Raft log (raft.db, or
// a file of data_dir/raft/wal): the file, what is wrong and how to recover.
func (a *Agent) raftLogCorrupt(path string, cause error) error {
	if !errors.Is(cause, ErrRaftLogCorrupt) {
		return fmt.Errorf("cluster: check raft log %s: %w", path, cause)
	}
	return fmt.Errorf("%w: %s: %s; recover: run 'ovi operator raft remove-peer %s' on a healthy node, "+
		"remove %s and start this node again (it resyncs from its peers), or restore a snapshot",
		ErrRaftLogCorrupt, path, oneLine(strings.TrimPrefix(cause.Error(), ErrRaftLogCorrupt.Error()+": ")),
		a.cfg.NodeName, filepath.Join(a.cfg.DataDir, "raft"))
}

// checkRaftDB reads raft.db read-only as Raft will (see openRaftLog). A
// missing or empty file is a new node.
func checkRaftDB(path string) (err error) {
	if st, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) || (statErr == nil && st.Size() == 0) {
		return nil
	}
	// A page id past the end of the mapped file faults rather than
	// panics; in this goroutine, for the check, that is a panic too.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrRaftLogCorrupt, p)
		}
	}()
	store, err := raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: &bolt.Options{
		ReadOnly: true, PreLoadFreelist: true, Timeout: raftDBCheckTimeout,
	}})
	if err != nil {
		return boltOpenError(err)
	}
	defer func() { _ = store.Close() }()
	return readRaftDB(store)
}

// boltOpenError is ErrRaftLogCorrupt for a bbolt file that cannot be
// opened because of its bytes, else err.
func boltOpenError(err error) error {
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) ||
		errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrInvalidMapping) {
		return fmt.Errorf("%w: %w", ErrRaftLogCorrupt, err)
	}
	return err
}

// readRaftDB reads every log entry and the stable values once.
func readRaftDB(store *raftboltdb.BoltStore) error {
	first, err := store.FirstIndex()
	if err != nil {
		return fmt.Errorf("%w: first index: %w", ErrRaftLogCorrupt, err)
	}
	last, err := store.LastIndex()
	if err != nil {
		return fmt.Errorf("%w: last index: %w", ErrRaftLogCorrupt, err)
	}
	var entry raft.Log
	for i := first; i != 0 && i <= last; i++ {
		if err := store.GetLog(i, &entry); err != nil {
			return fmt.Errorf("%w: log entry %d of %d–%d: %w", ErrRaftLogCorrupt, i, first, last, err)
		}
	}
	// Raft's 8-byte stable-store keys (hashicorp/raft keeps them private).
	for _, key := range []string{"CurrentTerm", "LastVoteTerm"} {
		v, err := store.Get([]byte(key))
		if err != nil && !errors.Is(err, raftboltdb.ErrKeyNotFound) {
			return fmt.Errorf("%w: %s: %w", ErrRaftLogCorrupt, key, err)
		}
		if err == nil && len(v) != 8 {
			return fmt.Errorf("%w: %s is %d bytes, not 8", ErrRaftLogCorrupt, key, len(v))
		}
	}
	return nil
}
