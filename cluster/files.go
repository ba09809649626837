package cluster

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
)

// File modes of everything the agent writes under data_dir: directories
// 0700, files 0600 (the Raft log, the state store and the snapshots hold
// the whole audit log).
const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
)

// privateDirs creates data_dir, data_dir/raft and data_dir/raft/snapshots
// with mode 0700 (before raft's snapshot store would create the last one
// 0755), and tightens them when they already exist with a looser mode.
func (a *Agent) privateDirs() error {
	raftDir := filepath.Join(a.cfg.DataDir, "raft")
	snapDir := filepath.Join(raftDir, "snapshots")
	if err := os.MkdirAll(snapDir, privateDirMode); err != nil {
		return fmt.Errorf("cluster: data_dir %s: %w", a.cfg.DataDir, err)
	}
	for _, dir := range []string{a.cfg.DataDir, raftDir, snapDir} {
		if err := tightenMode(dir, privateDirMode); err != nil {
			return fmt.Errorf("cluster: data_dir: %w", err)
		}
	}
	return nil
}

// tightenMode removes group and other permissions from path (a missing
// path is left alone).
func tightenMode(path string, mode fs.FileMode) error {
	st, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("restrict %s to %o: %w", path, mode, err)
	}
	return nil
}

// privateSnapshots is raft's FileSnapshotStore with private file modes:
// raft creates snapshot directories 0755 and files 0644 (less the umask);
// every snapshot is tightened to 0700/0600 as it is created and again when
// it is complete.
type privateSnapshots struct {
	*raft.FileSnapshotStore
	dir string // data_dir/raft/snapshots
}

// privateSnapshots wraps the agent's snapshot store.
func (a *Agent) privateSnapshots() privateSnapshots {
	return privateSnapshots{FileSnapshotStore: a.snapshots, dir: filepath.Join(a.cfg.DataDir, "raft", "snapshots")}
}

// Create starts a snapshot (see raft.FileSnapshotStore.Create).
func (p privateSnapshots) Create(version raft.SnapshotVersion, index, term uint64,
	configuration raft.Configuration, configurationIndex uint64, trans raft.Transport,
) (raft.SnapshotSink, error) {
	sink, err := p.FileSnapshotStore.Create(version, index, term, configuration, configurationIndex, trans)
	if err != nil {
		return nil, err
	}
	_ = tightenTree(filepath.Join(p.dir, sink.ID()+".tmp"))
	_ = tightenMode(p.dir, privateDirMode)
	return privateSink{SnapshotSink: sink, dir: filepath.Join(p.dir, sink.ID())}, nil
}

// privateSink tightens the finished snapshot directory on Close.
type privateSink struct {
	raft.SnapshotSink
	dir string
}

// Close completes the snapshot, then restricts its files. The snapshot
// is complete either way: its directory's parents are private, so a
// failure to tighten it does not fail the snapshot.
func (s privateSink) Close() error {
	if err := s.SnapshotSink.Close(); err != nil {
		return err
	}
	_ = tightenTree(s.dir)
	return nil
}

// tightenTree applies the private modes to a directory and the files in it.
func tightenTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := privateFileMode
		if d.IsDir() {
			mode = privateDirMode
		}
		return tightenMode(path, mode)
	})
}
