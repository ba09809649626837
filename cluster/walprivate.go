package cluster

import (
	"fmt"
	"path/filepath"

	walfs "github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/segment"
	waltypes "github.com/hashicorp/raft-wal/types"
)

// privateVFS is raft-wal's own file system but for the mode of the
// segments it creates: raft-wal v0.4.2 creates them 0644 (privateFileMode,
// files.go, is every data file's mode). The data dir is 0700, so no other
// user could read them through it; the files are made private too, as
// raft.db, the store and the snapshots are (privateSnapshots), so that a
// copied or re-permissioned directory does not expose them.
type privateVFS struct {
	*walfs.FS
}

// Create creates the segment as raft-wal does, then makes it private
// before anything is written to it.
func (v privateVFS) Create(dir, name string, size uint64) (waltypes.WritableFile, error) {
	f, err := v.FS.Create(dir, name, size)
	if err != nil {
		return nil, err
	}
	if err := tightenMode(filepath.Join(dir, name), privateFileMode); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cluster: raft log segment: %w", err)
	}
	return f, nil
}

// privateSegmentFiler is raft-wal's segment filer on privateVFS.
func privateSegmentFiler(walDir string) *segment.Filer {
	return segment.NewFiler(walDir, privateVFS{FS: walfs.New()})
}
