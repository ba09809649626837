package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
)

// LogStoreKind is the Raft log store of raft.log_store: "wal"
// (hashicorp/raft-wal, segment files in data_dir/raft/wal/, one fdatasync
// per append) or "boltdb" (raft-boltdb/v2, data_dir/raft/raft.db).
// docs/benchmarks.md#log-store has the figures behind the default.
type LogStoreKind string

// The log stores.
const (
	LogStoreWAL    LogStoreKind = "wal"
	LogStoreBoltDB LogStoreKind = "boltdb"
	// DefaultLogStore is the log store of a new data dir.
	DefaultLogStore = LogStoreWAL
)

// logStoreMarker, in data_dir/raft, records the store a data dir was
// created with, so a node never starts over it with the other one.
const logStoreMarker = "log-store"

// ErrLogStoreMismatch: raft.log_store names another store than the one
// the data dir holds.
var ErrLogStoreMismatch = errors.New("cluster: raft.log_store does not match the data dir")

// ParseLogStoreKind accepts "boltdb" and "wal" ("" = the default).
func ParseLogStoreKind(s string) (LogStoreKind, error) {
	switch LogStoreKind(s) {
	case "":
		return DefaultLogStore, nil
	case LogStoreWAL, LogStoreBoltDB:
		return LogStoreKind(s), nil
	}
	return "", fmt.Errorf("raft.log_store %q: want boltdb or wal", s)
}

// LogStore is a Raft log store that is also its stable store (term and
// vote), as both raft-boltdb and raft-wal are.
type LogStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// OpenLogStore opens the log store of kind in dir (data_dir/raft): its
// raft.db or its wal/ directory, created if missing. It neither checks
// nor records which store the data dir holds (Agent does, see
// openLogStore); the benchmarks use it to run raw Raft on the same stores.
func OpenLogStore(kind LogStoreKind, dir string, logger hclog.Logger) (LogStore, error) {
	switch kind {
	case LogStoreBoltDB:
		s, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
		if err != nil {
			return nil, fmt.Errorf("cluster: open raft log %s: %w", filepath.Join(dir, "raft.db"), err)
		}
		return s, nil
	case LogStoreWAL:
		walDir := filepath.Join(dir, "wal")
		if err := os.MkdirAll(walDir, privateDirMode); err != nil {
			return nil, fmt.Errorf("cluster: create raft log %s: %w", walDir, err)
		}
		w, err := raftwal.Open(walDir, raftwal.WithLogger(logger), raftwal.WithSegmentFiler(privateSegmentFiler(walDir)))
		if err != nil {
			return nil, fmt.Errorf("cluster: open raft log %s: %w", walDir, err)
		}
		// wal-meta.db (raft-wal's bbolt opens it 0644) and any segment an
		// older agent left looser.
		if err := tightenTree(walDir); err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("cluster: raft log %s: %w", walDir, err)
		}
		return w, nil
	}
	return nil, fmt.Errorf("cluster: unknown raft log store %q", kind)
}

// recordedLogStore is the store dir (data_dir/raft) holds: its marker, or
// for a data dir older than the marker, raft.db when it has one; "" for a
// new data dir.
func recordedLogStore(dir string) (LogStoreKind, string, error) {
	marker := filepath.Join(dir, logStoreMarker)
	b, err := os.ReadFile(marker)
	if err == nil {
		kind, perr := ParseLogStoreKind(strings.TrimSpace(string(b)))
		if perr != nil || len(strings.TrimSpace(string(b))) == 0 {
			return "", marker, fmt.Errorf("cluster: %s: %q is not a log store (boltdb or wal)", marker, strings.TrimSpace(string(b)))
		}
		return kind, marker, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", marker, fmt.Errorf("cluster: read %s: %w", marker, err)
	}
	db := filepath.Join(dir, "raft.db")
	if st, err := os.Stat(db); err == nil && st.Size() > 0 {
		return LogStoreBoltDB, db, nil
	}
	if entries, err := os.ReadDir(filepath.Join(dir, "wal")); err == nil && len(entries) > 0 {
		return LogStoreWAL, filepath.Join(dir, "wal"), nil
	}
	return "", marker, nil
}

// recordLogStore writes the marker (durably: file and directory synced).
func recordLogStore(dir string, kind LogStoreKind) error {
	marker := filepath.Join(dir, logStoreMarker)
	if err := writeFileSync(marker, []byte(string(kind)+"\n")); err != nil {
		return fmt.Errorf("cluster: record the raft log store in %s: %w", marker, err)
	}
	return nil
}

// writeFileSync writes path through a synced temporary file renamed into
// place, then syncs the directory.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}
