package cluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// raft-wal creates its segments and wal-meta.db 0644; the log store Ovi
// opens keeps every file private, the ones it creates as it rolls to new
// segments and the ones an older agent left with a looser mode.
func TestWALFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	walDir := filepath.Join(dir, "wal")
	s, err := OpenLogStore(LogStoreWAL, dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs([]*raft.Log{{Index: 1, Term: 1, Type: raft.LogCommand, Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkModes(t, walDir)
	if err := os.Chmod(filepath.Join(walDir, "wal-meta.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = OpenLogStore(LogStoreWAL, dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	checkModes(t, walDir)
}

// checkModes fails for a file in dir whose mode is not privateFileMode.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 2 {
		t.Fatalf("%s holds %d files, want wal-meta.db and a segment", dir, len(ents))
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != privateFileMode {
			t.Errorf("%s: mode %o, want %o", e.Name(), info.Mode().Perm(), privateFileMode)
		}
	}
}
