package cluster

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

func TestDataFilesArePrivate(t *testing.T) {
	cfg := testConfig(t, "private", 1)
	// A data dir that already exists with a loose mode is tightened.
	if err := os.Chmod(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, cfg)
	waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	ctx := context.Background()
	c, err := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Note(ctx, transport.NoteRequest{ResourceID: "k", Text: "v"}); err != nil {
		t.Fatal(err)
	}
	if err := a.raft.Snapshot().Error(); err != nil {
		t.Fatalf("raft snapshot: %v", err)
	}
	var snap bytes.Buffer
	if _, err := c.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Restore(ctx, bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatalf("restore: %v", err)
	}
	files := 0
	err = filepath.WalkDir(cfg.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("only %d files under the data dir; expected the raft log, the store and snapshot files", files)
	}
}

// TestSnapshotDirIsPrivateFromTheStart checks data_dir/raft/snapshots
// before any snapshot exists: raft's snapshot store would create it 0755,
// so the agent creates it 0700 first; one left 0755 by an older version
// is tightened at start.
func TestSnapshotDirIsPrivateFromTheStart(t *testing.T) {
	for _, existing := range []bool{false, true} {
		cfg := testConfig(t, "snapdir", 1)
		snaps := filepath.Join(cfg.DataDir, "raft", "snapshots")
		if existing {
			if err := os.MkdirAll(snaps, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(snaps, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		a := startAgent(t, cfg)
		waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() })
		for _, dir := range []string{cfg.DataDir, filepath.Dir(snaps), snaps} {
			st, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o700 {
				t.Errorf("existing %v: %s has mode %o, want 700", existing, dir, st.Mode().Perm())
			}
		}
		entries, err := os.ReadDir(snaps)
		if err != nil || len(entries) != 0 {
			t.Fatalf("want an empty snapshot dir before any snapshot, got %d entries (%v)", len(entries), err)
		}
	}
}
