package cluster

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/mvcc"
)

func TestStoreSyncIntervalConfig(t *testing.T) {
	if got := DefaultConfig().StoreSyncInterval; got != 100*time.Millisecond {
		t.Fatalf("default store_sync_interval = %s, want 100ms", got)
	}
	cfg, err := LoadConfig(writeConfig(t, "node_name: n1\ndata_dir: /tmp/x\nstore_sync_interval: 250ms\n"))
	if err != nil || cfg.StoreSyncInterval != 250*time.Millisecond {
		t.Fatalf("store_sync_interval 250ms: %s, %v", cfg.StoreSyncInterval, err)
	}
	cfg.StoreSyncInterval = -time.Second
	if err := cfg.checkCounts(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "store_sync_interval") {
		t.Fatalf("negative store_sync_interval: %v", err)
	}
}

func TestStoreCommitIntervalConfig(t *testing.T) {
	if got := DefaultConfig().StoreCommitInterval; got != 25*time.Millisecond {
		t.Fatalf("default store_commit_interval = %s, want 25ms", got)
	}
	cfg, err := LoadConfig(writeConfig(t, "node_name: n1\ndata_dir: /tmp/x\nstore_commit_interval: 0s\n"))
	if err != nil || cfg.StoreCommitInterval != 0 {
		t.Fatalf("store_commit_interval 0s: %s, %v", cfg.StoreCommitInterval, err)
	}
	cfg.StoreCommitInterval = -time.Millisecond
	if err := cfg.checkCounts(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "store_commit_interval -1ms must not be negative") {
		t.Fatalf("negative store_commit_interval: %v", err)
	}
}

// storeAgent is the part of an agent the store's start path uses.
func storeAgent(t *testing.T, dir, boot string) *Agent {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NodeName, cfg.DataDir, cfg.BootID = "ovi-1", dir, boot
	cfg.StoreSyncInterval = time.Hour // synced only at Open and Close: the test decides when it is dirty
	a := &Agent{cfg: cfg, logger: slog.New(slog.DiscardHandler)}
	a.prom = newPromMetrics(nil, a) // openStore hands the FSM its apply observer
	if err := a.openStore(); err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = a.store.Close() })
	return a
}

// TestTornStoreIsMovedAsideAndCaughtUpOrRefused: a store left dirty by an
// earlier boot is moved aside and opened empty; with a snapshot Raft
// restores it, and when neither a snapshot nor the log can reach it the
// start is refused with one line naming the file and the recovery.
func TestTornStoreIsMovedAsideAndCaughtUpOrRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	live := storeAgent(t, dir, "boot-1")
	if err := live.store.Commit([]mvcc.Entry{{Index: 60, Term: 1}}); err != nil {
		t.Fatal(err)
	}
	copyDir := t.TempDir() // the disk after the power went: dirty since boot-1
	for _, p := range []string{path, mvcc.MarkerPath(path)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(copyDir, filepath.Base(p)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := storeAgent(t, copyDir, "boot-2")
	if !a.storeRebuilt {
		t.Fatal("a store dirty since an earlier boot was not rebuilt")
	}
	if _, err := os.Stat(filepath.Join(copyDir, "state.db"+fsm.TornSuffix)); err != nil {
		t.Fatalf("the torn store was not kept aside: %v", err)
	}
	if applied, _ := a.store.AppliedIndex(); applied != 0 {
		t.Fatalf("rebuilt store starts at %d, want 0", applied)
	}
	logs := raft.NewInmemStore()
	for i := uint64(41); i <= 60; i++ {
		if err := logs.StoreLog(&raft.Log{Index: i, Term: 1, Type: raft.LogNoop}); err != nil {
			t.Fatal(err)
		}
	}
	if restore, err := a.startRestore([]*raft.SnapshotMeta{{Index: 50}}, logs); err != nil || !restore {
		t.Fatalf("with a snapshot at 50: restore %v, %v; want a restore", restore, err)
	}
	_, err := a.startRestore(nil, logs)
	if !errors.Is(err, ErrStoreCannotCatchUp) || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), filepath.Join(copyDir, "state.db")) || !strings.Contains(err.Error(), "remove-peer ovi-1") {
		t.Fatalf("no snapshot, log from 41: %v; want one line naming the file and the recovery", err)
	}
	if restore, err := live.startRestore(nil, logs); err != nil || restore {
		t.Fatalf("the live store at 60: restore %v, %v; want neither", restore, err)
	}
}
