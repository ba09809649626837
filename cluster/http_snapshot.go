package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
)

// Snapshot limits.
const (
	maxRestoreBody = 8 << 30
	restoreTimeout = 5 * time.Minute
)

// handleSnapshot streams a consistent copy of the local store (the format
// the FSM persists and restores).
func (a *Agent) handleSnapshot(w http.ResponseWriter, _ *http.Request) error {
	sn, err := a.store.BeginSnapshot()
	if err != nil {
		return err
	}
	defer func() { _ = sn.Close() }()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="ovi.snap"`)
	if _, err := sn.WriteTo(w); err != nil {
		a.logger.Warn("snapshot stream ended early", "err", err)
	}
	return nil
}

// handleRestore installs a snapshot through Raft on the leader (forwarded
// from followers); every node then restores it. The snapshot is validated
// before Raft sees it.
func (a *Agent) handleRestore(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, maxRestoreBody)
	if !a.IsLeader() {
		_, leader, err := a.leaderClient()
		if err != nil {
			return err
		}
		out, err := leader.Restore(r.Context(), body)
		if err != nil {
			return err
		}
		transport.WriteJSON(w, http.StatusOK, &out)
		return nil
	}
	path, snap, err := a.receiveSnapshot(body)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(path) }()
	release, err := a.notifier.Hold(r.Context()) // resumed from the restored progress
	if err != nil {
		return err
	}
	defer release()
	audit := a.beforeRestore(r, snap.digest)
	if err := a.restore(path, snap); err != nil {
		return err
	}
	a.recordRestore(r.Context(), audit)
	applied, _ := a.store.AppliedIndex()
	out := transport.RestoreResponse{Revision: applied}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// beforeRestore notes what the restore record needs from before the
// rewind: the revision, the record count, who asked.
func (a *Agent) beforeRestore(r *http.Request, digest string) restoreAudit {
	in := restoreAudit{snapshot: digest, scope: "open"}
	in.fromRevision, _ = a.store.AppliedIndex()
	in.records, _ = a.store.RecordCount()
	if a.cfg.ACL.ReadToken != "" || a.cfg.ACL.WriteToken != "" {
		in.scope = "write" // the route needs the write token
	}
	if name, isNode := peerNode(r); isNode && name != a.cfg.NodeName {
		in.via = name // forwarded by a follower
	}
	return in
}

// spooledSnapshot is what restore needs to know of a received snapshot.
type spooledSnapshot struct {
	size    int64
	digest  string // hex SHA-256
	applied uint64 // the last revision the snapshot holds
}

// receiveSnapshot spools the body to a file in data_dir, checks it
// restores into a scratch store and returns its size, hex SHA-256 and
// last revision.
func (a *Agent) receiveSnapshot(body io.Reader) (string, spooledSnapshot, error) {
	f, err := os.CreateTemp(a.cfg.DataDir, "restore-*.snap")
	if err != nil {
		return "", spooledSnapshot{}, fmt.Errorf("cluster: restore: %w", err)
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), body)
	_ = f.Close()
	if err != nil {
		_ = os.Remove(f.Name())
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", spooledSnapshot{}, transport.Errorf(transport.CodeTooLarge, "snapshot over %d bytes", tooLarge.Limit)
		}
		return "", spooledSnapshot{}, transport.Errorf(transport.CodeBadRequest, "restore: reading the snapshot: %v", err)
	}
	applied, err := validateSnapshot(f.Name())
	if err != nil {
		_ = os.Remove(f.Name())
		return "", spooledSnapshot{}, transport.Errorf(transport.CodeBadRequest, "restore: not a valid Ovi snapshot: %v", err)
	}
	return f.Name(), spooledSnapshot{size: size, digest: hex.EncodeToString(h.Sum(nil)), applied: applied}, nil
}

// validateSnapshot restores path into a throwaway store and returns the
// last revision (applied index) it holds.
func validateSnapshot(path string) (uint64, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), "validate-")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	scratch, err := mvcc.Open(filepath.Join(dir, "state.db"), mvcc.Options{NoSync: true})
	if err != nil {
		return 0, err
	}
	defer func() { _ = scratch.Close() }()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	if err := scratch.Restore(f); err != nil {
		return 0, err
	}
	applied, _ := scratch.AppliedIndex()
	return applied, nil
}

// restore hands the spooled snapshot to raft.Restore with the snapshot's
// last revision as its index: Raft installs it at the index after the
// greater of that and its own last index, so the log goes on after every
// revision the restored history holds. With index 0, a snapshot of a
// longer history than this cluster's log (a backup restored into a new
// cluster) was installed at the log's next index, and the FSM skipped
// every later entry up to the snapshot's revision (already applied, by
// its store) — acknowledged writes lost, their revisions and event ids
// those of the restored history's records.
func (a *Agent) restore(path string, snap spooledSnapshot) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	defer func() { _ = f.Close() }()
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: snap.size, Index: snap.applied}
	if err := a.raft.Restore(meta, f, restoreTimeout); err != nil {
		return applyError(err)
	}
	a.logger.Info("snapshot restored through raft", "bytes", snap.size, "snapshot_revision", snap.applied)
	return nil
}
