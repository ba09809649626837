package fsm

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
)

// ErrCannotCatchUp is returned (wrapped, with the indexes) by CheckReplay
// when neither a snapshot nor the log can bring the store up to date.
var ErrCannotCatchUp = errors.New("fsm: the store cannot be caught up from a snapshot and the log")

// TornSuffix is appended to a store file found torn; OpenStore keeps it
// there for inspection (the previous one is replaced).
const TornSuffix = ".torn"

// OpenStore opens the FSM's store at path. A store a power loss may have
// torn (mvcc.ErrTorn: it was written without fsync when the machine
// stopped) is moved aside to path+TornSuffix and an empty store is opened
// in its place; rebuilt reports that. Raft then rebuilds it: an applied
// index of 0 is behind any snapshot, so Raft restores the latest snapshot
// and replays the log after it (see RestoreOnStart), or replays the whole
// log when there is no snapshot yet. Call CheckReplay once the log is open.
func OpenStore(path string, opts mvcc.Options, logger *slog.Logger) (store *mvcc.Store, rebuilt bool, err error) {
	store, err = mvcc.Open(path, opts)
	if !errors.Is(err, mvcc.ErrTorn) {
		return store, false, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger.Warn("fsm: store may be torn by a power loss; rebuilding it from the latest snapshot and the log",
		"store", path, "moved_to", path+TornSuffix, "reason", err)
	if err := os.Rename(path, path+TornSuffix); err != nil {
		return nil, false, fmt.Errorf("fsm: move torn store aside: %w", err)
	}
	if err := os.Remove(mvcc.MarkerPath(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("fsm: remove torn store's marker: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, false, fmt.Errorf("fsm: rebuild store: %w", err)
	}
	store, err = mvcc.Open(path, opts)
	if err != nil {
		return nil, false, fmt.Errorf("fsm: open rebuilt store: %w", err)
	}
	return store, true, nil
}

// syncDir fsyncs a directory so a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// RestoreOnStart reports whether Raft must restore the latest snapshot at
// start (raft.Config.NoSnapshotRestoreOnStart is its negation). hashicorp/raft
// v1.7.3 sets its applied index to the latest snapshot's index whether or
// not it restores it, and replays only the log after it: so the store may
// skip the restore only when it already holds everything up to that index.
// A store that is behind (a rebuilt, empty one; one restored from an old
// copy) is restored from the snapshot, then caught up by replay. Entries at
// or below the store's applied index are skipped by Apply.
func RestoreOnStart(applied uint64, snaps []*raft.SnapshotMeta) bool {
	return len(snaps) > 0 && applied < snaps[0].Index
}

// CheckReplay returns ErrCannotCatchUp when Raft could not bring a store at
// applied up to date: the entries after what the store (or the snapshot
// Raft restores) holds are no longer in the log. hashicorp/raft would
// panic on the first missing entry, so the node must refuse to start.
func CheckReplay(applied uint64, snaps []*raft.SnapshotMeta, logs raft.LogStore) error {
	base := applied
	if len(snaps) > 0 {
		base = max(base, snaps[0].Index)
	}
	first, err := logs.FirstIndex()
	if err != nil {
		return fmt.Errorf("fsm: read first log index: %w", err)
	}
	last, err := logs.LastIndex()
	if err != nil {
		return fmt.Errorf("fsm: read last log index: %w", err)
	}
	if last == 0 || first <= base+1 {
		return nil
	}
	return fmt.Errorf("%w: it holds up to index %d, the latest snapshot ends at %d, and the log starts at %d",
		ErrCannotCatchUp, applied, snapshotIndex(snaps), first)
}

func snapshotIndex(snaps []*raft.SnapshotMeta) uint64 {
	if len(snaps) == 0 {
		return 0
	}
	return snaps[0].Index
}
