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
