package cluster

import (
	"fmt"
	"os"
	"path/filepath"

	walfs "github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
	waltypes "github.com/hashicorp/raft-wal/types"
)

// privateVFS is raft-wal's own file system but for the mode of the
// segments it creates: raft-wal v0.4.2 creates them 0644 (privateFileMode,
// files.go, is every data file's mode). The data dir is 0700, so no other user could read them through it; the files are made
// private too, as raft.db and the store are, so that a copied or
// re-permissioned directory does not expose them.
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
	if c, ok := f.(interface{ Chmod(os.FileMode) error }); ok {
		err = c.Chmod(privateFileMode)
	} else {
		err = os.Chmod(filepath.Join(dir, name), privateFileMode)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cluster: make raft log segment %s private: %w", filepath.Join(dir, name), err)
	}
	return f, nil
}

// privateSegmentFiler is raft-wal's segment filer on privateVFS.
func privateSegmentFiler(walDir string) *segment.Filer {
	return segment.NewFiler(walDir, privateVFS{FS: walfs.New()})
}

// makeWALPrivate sets every file raft-wal keeps in walDir (wal-meta.db,
// which raft-wal's bbolt opens 0644, and segments written before their
// mode was set) to privateFileMode.
func makeWALPrivate(walDir string) error {
	ents, err := os.ReadDir(walDir)
	if err != nil {
		return fmt.Errorf("cluster: raft log %s: %w", walDir, err)
	}
	for _, e := range ents {
		if e.IsDir() || (filepath.Ext(e.Name()) != ".wal" && e.Name() != metadb.FileName) {
			continue
		}
		p := filepath.Join(walDir, e.Name())
		if err := os.Chmod(p, privateFileMode); err != nil {
			return fmt.Errorf("cluster: make raft log file %s private: %w", p, err)
		}
	}
	return nil
}
