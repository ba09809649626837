package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Deferred sync (Options.SyncInterval > 0): commits write their pages
// without fsync, and the store is made durable on a schedule, by Sync and
// by Close. The Raft log holds every entry durably, so a store that lost
// its un-synced tail is caught up by replay; but a bbolt file whose
// un-synced pages were partly lost in a power cut can be torn (its meta
// page names pages that never reached the disk, or pages of the last
// durable state were overwritten in place) and no check of the file can
// prove it is not. So the store keeps a sync marker beside its file
// (PATH.sync) that says, durably and before the first un-synced write,
// "dirty since boot B". Open refuses a dirty marker from another boot with
// ErrTorn: the caller rebuilds the store from a snapshot and the log. A
// dirty marker from this boot means only the process stopped (kill -9, a
// panic): the kernel still holds every write, and the file is whole.

// ErrTorn is returned (wrapped, naming the file) by Open when the store was
// written without fsync and the machine restarted since, so a power loss
// may have torn it. The store file cannot be trusted; rebuild it.
var ErrTorn = errors.New("mvcc: store may be torn by a power loss")

// bootIDPath names this boot of a Linux machine; it changes on every boot.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// Sync marker layout: magic (8), state (1), boot id length (1), boot id,
// CRC-32C (4) of everything before it. It is written in place at offset 0
// (one sector) and fsync'd; a torn write fails the checksum.
const (
	markerMagic   = "OVISYNC1"
	markerClean   = byte(1)
	markerDirty   = byte(2)
	markerMaxBoot = 64
	markerSuffix  = ".sync"
)

// MarkerPath returns the sync marker of the store file at path.
func MarkerPath(path string) string { return path + markerSuffix }

// marker is the decoded sync marker.
type marker struct {
	state byte
	boot  string
}

func encodeMarker(m marker) []byte {
	b := make([]byte, 0, len(markerMagic)+2+len(m.boot)+4)
	b = append(b, markerMagic...)
	b = append(b, m.state, byte(len(m.boot)))
	b = append(b, m.boot...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

func decodeMarker(b []byte) (marker, error) {
	n := len(markerMagic)
	if len(b) < n+2+4 || !bytes.Equal(b[:n], []byte(markerMagic)) {
		return marker{}, errors.New("no marker magic")
	}
	end := n + 2 + int(b[n+1])
	if len(b) < end+4 || binary.BigEndian.Uint32(b[end:]) != crc32.Checksum(b[:end], crc32.MakeTable(crc32.Castagnoli)) {
		return marker{}, errors.New("marker checksum mismatch")
	}
	m := marker{state: b[n], boot: string(b[n+2 : end])}
	if m.state != markerClean && m.state != markerDirty {
		return marker{}, fmt.Errorf("unknown marker state %d", m.state)
	}
	return m, nil
}

// readBootID returns the id of this boot, or "" where the system has none
// (then every unclean stop counts as a possible power loss).
func readBootID() string {
	b, err := os.ReadFile(bootIDPath)
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(b))
	if len(id) > markerMaxBoot {
		id = id[:markerMaxBoot]
	}
	return id
}

// checkMarker decides, before the file is opened, whether the store at
// path can be trusted: no marker (a new store, or one that always synced),
// a clean marker, or a dirty one from this boot. Anything else is ErrTorn.
func checkMarker(path, boot string) error {
	b, err := os.ReadFile(MarkerPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("mvcc: read sync marker: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil // the marker of a store that was removed: a new store
	}
	m, err := decodeMarker(b)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s: its sync marker %s is unreadable: %w", ErrTorn, path, MarkerPath(path), err)
	case m.state == markerClean:
		return nil
	case boot != "" && m.boot == boot:
		return nil // the process stopped, the machine did not: the kernel kept every write
	case m.boot == "":
		return fmt.Errorf("%w: %s was being written without fsync when the store failed or stopped on a system without a boot id", ErrTorn, path)
	}
	return fmt.Errorf("%w: %s was being written without fsync when the machine stopped (dirty since boot %s, now boot %s)",
		ErrTorn, path, m.boot, boot)
}

// openMarker opens (creating) the marker file and fsyncs its directory.
func openMarker(path string) (*os.File, error) {
	f, err := os.OpenFile(MarkerPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mvcc: open sync marker: %w", err)
	}
	if err := syncDirErr(filepath.Dir(path)); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("mvcc: open sync marker: %w", err)
	}
	return f, nil
}

// writeMarkerFile writes m at offset 0 and fsyncs it.
func writeMarkerFile(f *os.File, m marker) error {
	if _, err := f.WriteAt(encodeMarker(m), 0); err != nil {
		return fmt.Errorf("mvcc: write sync marker: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("mvcc: sync marker: %w", err)
	}
	return nil
}

// syncDirErr fsyncs a directory.
func syncDirErr(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// update runs fn in a write transaction. With deferred sync, the first
// write after the store was last made durable first marks it dirty,
// durably. The caller holds s.mu (shared) and has checked s.db.
func (s *Store) update(fn func(tx *bolt.Tx) error) error { return s.updateThen(fn, nil) }

// updateThen is update, then hands the transaction's outcome to then (if
// not nil), still as the only writer: the key index follows the file. It
// writes the commit buffer first (pending.go): no other transaction ever
// sees a file without the entries Commit accepted.
func (s *Store) updateThen(fn func(tx *bolt.Tx) error, then func(err error)) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.flushLocked(); err != nil {
		return err
	}
	return s.updateLocked(fn, then)
}

// updateLocked is updateThen with s.syncMu held and the buffer written.
func (s *Store) updateLocked(fn func(tx *bolt.Tx) error, then func(err error)) error {
	if s.syncErr != nil {
		return s.syncErr
	}
	if s.opts.SyncInterval > 0 {
		if err := s.markDirtyLocked(); err != nil {
			return err
		}
	}
	err := s.db.Update(fn)
	if then != nil {
		then(err)
	}
	return err
}

// markDirtyLocked writes the dirty marker unless it is already on disk.
func (s *Store) markDirtyLocked() error {
	if s.marker == nil || s.dirty {
		return nil
	}
	if err := writeMarkerFile(s.marker, marker{state: markerDirty, boot: s.boot}); err != nil {
		return s.failSyncLocked(err)
	}
	s.dirty = true
	return nil
}

// Sync makes every committed transaction durable (writing the commit
// buffer first, with Options.CommitInterval): it fsyncs the store file
// and then marks it clean. Commits wait while it runs. Deferred-sync stores
// call it on their schedule and on Close; the FSM calls it before every
// Raft snapshot, so the log is never truncated past what the store made
// durable. A failed fsync is sticky: every later commit fails, the marker
// stays dirty (a restart rebuilds the store), because after a failed fsync
// the kernel may have dropped the pages it could not write.
func (s *Store) Sync() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.flushLocked(); err != nil {
		return err
	}
	return s.syncLocked()
}

// syncLocked is Sync with s.mu (shared or exclusive) and s.syncMu held.
func (s *Store) syncLocked() error {
	if s.syncErr != nil {
		return s.syncErr
	}
	if s.marker == nil || !s.dirty {
		return nil
	}
	start := time.Now()
	if err := s.db.Sync(); err != nil {
		return s.failSyncLocked(fmt.Errorf("mvcc: fsync %s: %w", s.path, err))
	}
	if err := writeMarkerFile(s.marker, marker{state: markerClean, boot: s.boot}); err != nil {
		return s.failSyncLocked(err)
	}
	s.dirty = false
	took := time.Since(start).Nanoseconds()
	s.syncs.Add(1)
	s.syncNanos.Add(took)
	s.syncLast.Store(took)
	return nil
}

// failSyncLocked makes err sticky and tries to leave a marker that a
// restart on this boot also distrusts (no boot id).
func (s *Store) failSyncLocked(err error) error {
	s.syncErr = err
	s.syncFailed.Store(true)
	if s.marker != nil {
		_ = writeMarkerFile(s.marker, marker{state: markerDirty})
	}
	s.log.Error("store cannot be made durable; commits fail until the node restarts and rebuilds it", "err", err)
	return err
}

// SyncStats reports how many times the store was made durable and the
// total time it took.
func (s *Store) SyncStats() (syncs uint64, total time.Duration) {
	return uint64(s.syncs.Load()), time.Duration(s.syncNanos.Load())
}

// SyncStatus is the store's durability at a glance (for metrics).
type SyncStatus struct {
	Syncs       uint64        // times the store was made durable
	Total, Last time.Duration // all of them, and the last one
	Failed      bool          // a sync failed: commits fail until the node restarts
}

// SyncStatus reports SyncStats, the last sync's duration and whether a
// sync failed, without waiting for a commit or a sync in progress.
func (s *Store) SyncStatus() SyncStatus {
	return SyncStatus{Syncs: uint64(s.syncs.Load()), Total: time.Duration(s.syncNanos.Load()),
		Last: time.Duration(s.syncLast.Load()), Failed: s.syncFailed.Load()}
}

// syncer makes a deferred-sync store durable every SyncInterval until
// Close.
func (s *Store) syncer() {
	s.every(s.opts.SyncInterval, s.syncerDone, "scheduled store sync failed", s.Sync)
}

// startDurability prepares the marker before the file is opened: it
// refuses a torn store and marks the store dirty (a new file's first
// writes, and Open's own, are not yet durable). With NoSync there is no
// marker.
func (s *Store) startDurability() error {
	if s.opts.NoSync {
		return nil
	}
	if err := checkMarker(s.path, s.boot); err != nil {
		return err
	}
	f, err := openMarker(s.path)
	if err != nil {
		return err
	}
	if err := writeMarkerFile(f, marker{state: markerDirty, boot: s.boot}); err != nil {
		_ = f.Close()
		return err
	}
	s.marker, s.dirty = f, true
	return nil
}

// closeMarker closes the marker file (after the final Sync).
func (s *Store) closeMarker() error {
	if s.marker == nil {
		return nil
	}
	err := s.marker.Close()
	s.marker = nil
	return err
}
