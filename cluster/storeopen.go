package cluster

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/mvcc"
)

// ErrStoreCannotCatchUp is returned at start when data_dir/state.db is
// behind the log and neither a snapshot nor the log can bring it up to date.
var ErrStoreCannotCatchUp = errors.New("cluster: store cannot be caught up")

// storePath is the FSM's store file.
func (a *Agent) storePath() string { return filepath.Join(a.cfg.DataDir, "state.db") }

// openStore opens data_dir/state.db with deferred sync (store_sync_interval)
// and buffered commits (store_commit_interval), and the FSM over it. A store a power loss may have torn is moved aside
// and rebuilt by Raft from the latest snapshot and the log (see
// fsm.OpenStore); startRestore then checks that Raft can.
func (a *Agent) openStore() error {
	opts := mvcc.Options{Logger: a.logger, SyncInterval: a.cfg.StoreSyncInterval, CommitInterval: a.cfg.StoreCommitInterval,
		BootID: a.cfg.BootID}
	store, rebuilt, err := fsm.OpenStore(a.storePath(), opts, a.logger.With("component", "fsm"))
	if err != nil {
		return fmt.Errorf("cluster: open store: %w", err)
	}
	a.store, a.storeRebuilt = store, rebuilt
	a.fsm = fsm.New(store, a.logger.With("component", "fsm"), fsm.WithApplyObserver(a.prom.fsm.observe))
	return nil
}

// startRestore decides whether Raft restores the latest snapshot at start
// (raft.Config.NoSnapshotRestoreOnStart is its negation) and refuses to
// start, with one line naming the file and the recovery, when the entries
// the store lacks are gone from the log and no snapshot holds them.
func (a *Agent) startRestore(snaps []*raft.SnapshotMeta, logs raft.LogStore) (bool, error) {
	applied, _ := a.store.AppliedIndex()
	if err := fsm.CheckReplay(applied, snaps, logs); err != nil {
		how := "restore a snapshot with 'ovi snapshot restore' on the leader"
		if a.storeRebuilt {
			how = "it was torn by a power loss and moved to " + a.storePath() + fsm.TornSuffix
		}
		return false, fmt.Errorf("%w: %s: %w; recover: run 'ovi operator raft remove-peer %s' on a healthy node, "+
			"remove %s and start this node again (it resyncs from its peers), or %s",
			ErrStoreCannotCatchUp, a.storePath(), err, a.cfg.NodeName, a.cfg.DataDir, how)
	}
	restore := fsm.RestoreOnStart(applied, snaps)
	if a.storeRebuilt {
		a.logger.Warn("rebuilding the store", "restore_snapshot", restore, "applied", applied)
	}
	return restore, nil
}
