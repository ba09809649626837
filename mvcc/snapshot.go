package mvcc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Snapshot trailer: WriteTo appends it after the bbolt bytes; Restore
// checks it before opening anything. bbolt ignores bytes past its last
// page, so a snapshot is still a valid bbolt file.
const (
	trailerMagic = "OVIMVCC1"
	trailerLen   = len(trailerMagic) + 8 + 4 // magic + data length + CRC-32C
)

// Snapshot is a consistent point-in-time view of the store, held open by a
// bbolt read transaction until Close. While it is open, Restore and Close
// of the store wait for it.
type Snapshot struct {
	tx   *bolt.Tx
	once sync.Once
}

// BeginSnapshot opens a read transaction (after writing the commit
// buffer); it is cheap and does not block commits.
func (s *Store) BeginSnapshot() (*Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return nil, ErrClosed
	}
	if err := s.flushForRead(); err != nil {
		return nil, err
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("mvcc: begin snapshot: %w", err)
	}
	return &Snapshot{tx: tx}, nil
}

// WriteTo streams the bbolt file as of the snapshot, followed by a 20-byte
// trailer (magic, length, CRC-32C of the file bytes).
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) {
	sum := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	n, err := sn.tx.WriteTo(io.MultiWriter(w, sum))
	if err != nil {
		return n, fmt.Errorf("mvcc: write snapshot: %w", err)
	}
	t := make([]byte, 0, trailerLen)
	t = append(t, trailerMagic...)
	t = binary.BigEndian.AppendUint64(t, uint64(n))
	t = binary.BigEndian.AppendUint32(t, sum.Sum32())
	m, err := w.Write(t)
	if err != nil {
		return n + int64(m), fmt.Errorf("mvcc: write snapshot trailer: %w", err)
	}
	return n + int64(m), nil
}

// Close releases the snapshot's read transaction. Calling it again is a
// no-op.
func (sn *Snapshot) Close() error {
	var err error
	sn.once.Do(func() { err = sn.tx.Rollback() })
	if err != nil {
		return fmt.Errorf("mvcc: close snapshot: %w", err)
	}
	return nil
}

// Restore replaces the whole store with a snapshot written by
// Snapshot.WriteTo. The snapshot is copied to a temporary file beside the
// store and validated (trailer length and checksum, bbolt meta pages,
// buckets, format version) while the old state is still served; only the
// swap (close, rename, reopen) holds the store's write lock. On any error
// the old state is kept and served.
func (s *Store) Restore(r io.Reader) error {
	tmp, err := s.receiveSnapshot(r)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }() // fails harmlessly once renamed
	if err := validateSnapshot(tmp); err != nil {
		return err
	}
	return s.swapIn(tmp)
}

// receiveSnapshot copies r to a temporary file, checks the trailer and
// cuts it off. It returns the file's path.
func (s *Store) receiveSnapshot(r io.Reader) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".restore-*")
	if err != nil {
		return "", fmt.Errorf("mvcc: restore: %w", err)
	}
	name := f.Name()
	err = copySnapshot(f, r)
	if err == nil && !s.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("mvcc: restore: %w", err)
	}
	return name, nil
}

// copySnapshot streams r into f, holding back the last trailerLen bytes,
// then checks them against what was written.
func copySnapshot(f *os.File, r io.Reader) error {
	tw := &tailWriter{w: f, sum: crc32.New(crc32.MakeTable(crc32.Castagnoli))}
	if _, err := io.Copy(tw, r); err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	if err := tw.flushKeep(); err != nil {
		return err
	}
	t := tw.tail
	switch {
	case len(t) < trailerLen || string(t[:len(trailerMagic)]) != trailerMagic:
		return fmt.Errorf("%w: snapshot has no trailer (truncated or not an Ovi snapshot)", ErrCorrupt)
	case binary.BigEndian.Uint64(t[len(trailerMagic):]) != uint64(tw.n):
		return fmt.Errorf("%w: snapshot holds %d bytes, trailer says %d", ErrCorrupt, tw.n, binary.BigEndian.Uint64(t[len(trailerMagic):]))
	case binary.BigEndian.Uint32(t[len(trailerMagic)+8:]) != tw.sum.Sum32():
		return fmt.Errorf("%w: snapshot checksum mismatch", ErrCorrupt)
	}
	return nil
}

// tailWriter writes everything but the last trailerLen bytes to w,
// checksumming what it writes.
type tailWriter struct {
	w    io.Writer
	sum  hash.Hash32
	tail []byte
	n    int64
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.tail = append(t.tail, p...)
	if over := len(t.tail) - trailerLen; over > 4*trailerLen || over > 1<<16 {
		if err := t.emit(over); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// flushKeep writes out all but the last trailerLen bytes.
func (t *tailWriter) flushKeep() error {
	if over := len(t.tail) - trailerLen; over > 0 {
		return t.emit(over)
	}
	return nil
}

func (t *tailWriter) emit(n int) error {
	if _, err := t.w.Write(t.tail[:n]); err != nil {
		return fmt.Errorf("write temp file: %w", err)
	}
	t.sum.Write(t.tail[:n])
	t.n += int64(n)
	t.tail = append(t.tail[:0], t.tail[n:]...)
	return nil
}

// validateSnapshot opens the file read-only and checks its layout. A
// memory fault while reading a damaged file becomes an error.
func validateSnapshot(path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: snapshot unreadable: %v", ErrCorrupt, p)
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("mvcc: restore: %w", err)
	}
	db, err := bolt.Open(path, 0o400, &bolt.Options{Timeout: openTimeout, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("mvcc: restore: invalid snapshot: %w", err)
	}
	defer func() { _ = db.Close() }()
	return db.View(func(tx *bolt.Tx) error {
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%w: snapshot truncated: %d bytes, needs %d", ErrCorrupt, fi.Size(), tx.Size())
		}
		if _, err := layoutFormat(tx); err != nil {
			return fmt.Errorf("mvcc: restore: invalid snapshot: %w", err)
		}
		return nil
	})
}

// swapIn replaces the store file with path under the write lock. The old
// file is kept as a hard link until the new one has opened.
func (s *Store) swapIn(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return ErrClosed
	}
	// The swap and the reopen write: the marker is dirty until the new
	// file has been synced.
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.flushLocked(); err != nil {
		return err // the old state stays whole: it holds every accepted entry or fails every read
	}
	if err := s.markDirtyLocked(); err != nil {
		return err
	}
	backup := s.path + ".restore-old"
	_ = os.Remove(backup)
	if err := os.Link(s.path, backup); err != nil {
		return fmt.Errorf("mvcc: restore: keep old file: %w", err)
	}
	defer func() { _ = os.Remove(backup) }()
	if err := s.db.Close(); err != nil {
		return s.reopenAfter(fmt.Errorf("mvcc: restore: close old store: %w", err))
	}
	if err := os.Rename(path, s.path); err != nil {
		return s.reopenAfter(fmt.Errorf("mvcc: restore: %w", err))
	}
	db, st, ix, err := openDB(s.path, s.opts.NoSync || s.opts.SyncInterval > 0, s.log)
	if err != nil {
		if rerr := os.Rename(backup, s.path); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return s.reopenAfter(fmt.Errorf("mvcc: restore: open new store: %w", err))
	}
	syncDir(filepath.Dir(s.path), s.opts.NoSync)
	s.db, s.idx, s.gen = db, ix.keys, s.gen+1
	s.res.Store(ix.res)
	s.spillDue.Store(false)
	if err := s.syncLocked(); err != nil {
		return err
	}
	s.replaceState(st)
	if st.compactionPending() {
		s.kickCompactor()
	}
	s.log.Info("restored snapshot", "applied", st.applied, "term", st.term)
	return nil
}

// reopenAfter reopens the old file after a failed swap and returns cause
// (joined with a reopen failure, which leaves the store closed).
func (s *Store) reopenAfter(cause error) error {
	db, _, ix, err := openDB(s.path, s.opts.NoSync || s.opts.SyncInterval > 0, s.log)
	if err != nil {
		s.db = nil
		return errors.Join(cause, err)
	}
	s.db, s.idx = db, ix.keys
	s.res.Store(ix.res)
	return cause
}

// syncDir fsyncs a directory so a rename in it is durable.
func syncDir(dir string, noSync bool) {
	if noSync {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
