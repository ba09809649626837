package mvcc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Layout versions written to meta. Open and Restore migrate a format-1
// file to format 2 (migrate.go) and refuse any other.
const (
	formatV1      uint64 = 1 // versions key-major in kv, with the keys and revs buckets
	formatV2      uint64 = 2 // versions keyed by revision, the key index in memory
	formatVersion uint64 = 3 // idx_res up to idx_res_through, the records after it indexed in memory
)

// meta bucket keys (values are 8-byte big-endian unsigned integers).
const (
	metaFormat           = "format_version"
	metaAppliedIndex     = "applied_index"
	metaAppliedTerm      = "applied_term"
	metaCompactScheduled = "compact_scheduled"
	metaCompactFinished  = "compact_finished"
	metaRecordCount      = "record_count"
	metaAuditScheduled   = "audit_scheduled"
	metaAuditFinished    = "audit_finished"
	metaResThrough       = "idx_res_through" // format 3: idx_res holds the records up to this revision
)

// Tuning constants.
const (
	openTimeout     = 5 * time.Second // waiting for another process's file lock
	initialMmapSize = 1 << 30         // read transactions never block a remap below 1 GiB
)

// Store is a multi-version key-value store with an audit log, in one bbolt
// file. It is safe for concurrent use. See the package documentation.
type Store struct {
	path string
	opts Options
	log  *slog.Logger

	mu       sync.RWMutex // guards db, idx and gen; Restore and Close hold it exclusively
	db       *bolt.DB
	idx      *index                   // the key index of db (index.go)
	res      atomic.Pointer[resIndex] // the memory part of the resource index (resindex.go); a spill swaps it
	spillDue atomic.Bool              // res holds spillAt entries
	gen      uint64                   // incremented when Restore swaps the file

	stateMu sync.Mutex // guards the cached state below and changed
	state   metaState
	changed chan struct{}

	// Durability (durable.go). syncMu serialises write transactions with
	// Sync and guards the fields below it.
	syncMu     sync.Mutex
	marker     *os.File // PATH.sync; nil with NoSync
	dirty      bool     // the marker on disk says dirty
	syncErr    error    // a failed fsync; sticky
	boot       string   // this boot's id
	syncs      atomic.Int64
	syncNanos  atomic.Int64
	syncLast   atomic.Int64 // nanoseconds of the last sync
	syncFailed atomic.Bool  // syncErr is set
	syncerDone chan struct{}

	// Deferred commit (pending.go).
	pend           pendingBuf
	flushes        atomic.Int64
	flushedEntries atomic.Int64
	flushNanos     atomic.Int64
	flusherDone    chan struct{}

	compactMu   sync.Mutex    // one compaction runner at a time
	compactKick chan struct{} // capacity 1: wakes the background compactor
	done        chan struct{} // closed by Close
	closeOnce   sync.Once
	workerDone  chan struct{}
	testChunk   atomic.Int64 // compaction chunk override for tests (0 = default)
	testSpill   atomic.Int64 // spillAt override for tests (0 = default)
}

// metaState is what the meta bucket says about the store.
type metaState struct {
	applied, term       uint64
	scheduled, finished uint64 // compaction revisions
	records             uint64
	audit, auditDone    uint64 // audit-log compaction revisions (retention.go)
}

// compactionPending reports whether a scheduled compaction (key history
// or audit log) has not finished.
func (st metaState) compactionPending() bool {
	return st.finished < st.scheduled || st.auditDone < st.audit
}

// Open opens (creating if needed) the store at path and resumes an
// interrupted compaction in the background. A store written without fsync
// (Options.SyncInterval) when the machine stopped is refused with ErrTorn.
func Open(path string, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		path: path, opts: opts, log: logger.With("component", "mvcc"), boot: opts.BootID,
		changed: make(chan struct{}), compactKick: make(chan struct{}, 1), done: make(chan struct{}),
		workerDone: make(chan struct{}), syncerDone: make(chan struct{}), flusherDone: make(chan struct{}),
	}
	if s.boot == "" {
		s.boot = readBootID()
	}
	if err := s.startDurability(); err != nil {
		return nil, err
	}
	db, st, ix, err := openDB(path, opts.NoSync || opts.SyncInterval > 0, s.log)
	if err == nil {
		s.db, s.state, s.idx = db, st, ix.keys
		s.res.Store(ix.res)
		err = s.syncLocked() // Open's own writes, and the store as it was found
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		_ = s.closeMarker()
		return nil, err
	}
	s.startWorkers(st)
	return s, nil
}

// startWorkers starts the background compactor (resuming an interrupted
// compaction) and, with deferred sync, the syncer.
func (s *Store) startWorkers(st metaState) {
	go s.compactor()
	if s.opts.SyncInterval > 0 {
		go s.syncer()
	} else {
		close(s.syncerDone)
	}
	if s.opts.CommitInterval > 0 {
		go s.flusher()
	} else {
		close(s.flusherDone)
	}
	if st.compactionPending() {
		s.log.Info("resuming interrupted compaction", "scheduled", st.scheduled, "finished", st.finished,
			"audit_scheduled", st.audit, "audit_finished", st.auditDone)
		s.kickCompactor()
	}
}

// indexes are the memory indexes of a store file.
type indexes struct {
	keys *index
	res  *resIndex
}

// openDB opens a bbolt file read-write, creates the buckets if the file
// is new, migrates a file of an older format, checks the layout and
// builds the memory indexes.
func openDB(path string, noSync bool, log *slog.Logger) (*bolt.DB, metaState, indexes, error) {
	if err := checkSize(path); err != nil {
		return nil, metaState{}, indexes{}, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: openTimeout, NoSync: noSync,
		FreelistType: bolt.FreelistMapType, NoFreelistSync: true, InitialMmapSize: initialMmapSize,
	})
	if err != nil {
		return nil, metaState{}, indexes{}, fmt.Errorf("mvcc: open %s: %w", path, err)
	}
	var st metaState
	var ix indexes
	err = db.Update(func(tx *bolt.Tx) error {
		if st, err = initLayout(tx, log); err == nil {
			ix.keys, err = buildIndex(tx)
		}
		if err == nil {
			ix.res, err = buildResIndex(tx)
		}
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, metaState{}, indexes{}, fmt.Errorf("mvcc: open %s: %w", path, err)
	}
	return db, st, ix, nil
}

// initLayout creates the buckets of a new file, migrates a format-1 file,
// then checks the layout.
func initLayout(tx *bolt.Tx, log *slog.Logger) (metaState, error) {
	if tx.Bucket([]byte(bucketMeta)) == nil {
		var other []byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error { other = name; return nil })
		if other != nil {
			return metaState{}, fmt.Errorf("%w: not an mvcc store (has bucket %q and no %q)", ErrCorrupt, other, bucketMeta)
		}
		for _, name := range allBuckets(formatVersion) {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return metaState{}, fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if err := tx.Bucket([]byte(bucketMeta)).Put([]byte(metaFormat), u64(formatVersion)); err != nil {
			return metaState{}, fmt.Errorf("write format version: %w", err)
		}
	}
	format, err := layoutFormat(tx)
	if err == nil && format == formatV1 {
		log.Info("migrating the store to format 2 (versions keyed by revision); one transaction", "from_format", formatV1)
		format, err = formatV2, migrateV1(tx)
	}
	if err == nil && format == formatV2 {
		log.Info("migrating the store to format 3 (the newest records' resource index in memory)", "from_format", formatV2)
		err = migrateV2(tx)
	}
	if err != nil {
		return metaState{}, err
	}
	return checkLayout(tx)
}

// checkLayout verifies the buckets and the format version (the current
// one) and reads the meta state.
func checkLayout(tx *bolt.Tx) (metaState, error) {
	format, err := layoutFormat(tx)
	if err == nil && format != formatVersion {
		err = fmt.Errorf("%w: format version %d where %d was expected", ErrCorrupt, format, formatVersion)
	}
	if err != nil {
		return metaState{}, err
	}
	return readMeta(tx.Bucket([]byte(bucketMeta))), nil
}

// layoutFormat returns the format version of the file (1 or 2) once its
// buckets check out.
func layoutFormat(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return 0, fmt.Errorf("%w: bucket %q missing", ErrCorrupt, bucketMeta)
	}
	v := meta.Get([]byte(metaFormat))
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: format version missing", ErrCorrupt)
	}
	format := binary.BigEndian.Uint64(v)
	if format < formatV1 || format > formatVersion {
		return 0, fmt.Errorf("%w: unknown format version %d (this build reads %d to %d)", ErrCorrupt, format, formatV1, formatVersion)
	}
	for _, name := range allBuckets(format) {
		if tx.Bucket([]byte(name)) == nil {
			return 0, fmt.Errorf("%w: bucket %q missing", ErrCorrupt, name)
		}
	}
	return format, nil
}

// readU64 reads an 8-byte big-endian meta value (0 if absent).
func readU64(meta *bolt.Bucket, k string) uint64 {
	if v := meta.Get([]byte(k)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// readMeta reads the state from the meta bucket.
func readMeta(meta *bolt.Bucket) metaState {
	get := func(k string) uint64 { return readU64(meta, k) }
	return metaState{
		applied: get(metaAppliedIndex), term: get(metaAppliedTerm),
		scheduled: get(metaCompactScheduled), finished: get(metaCompactFinished),
		records: get(metaRecordCount),
		audit:   get(metaAuditScheduled), auditDone: get(metaAuditFinished),
	}
}

// Close stops background compaction (it resumes on the next Open), makes
// the store durable and closes the file. Calling Close again returns nil.
func (s *Store) Close() error {
	first := false
	s.closeOnce.Do(func() { first = true; close(s.done) })
	if !first {
		return nil
	}
	<-s.workerDone
	<-s.syncerDone
	<-s.flusherDone
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stateMu.Lock()
	close(s.changed) // wake waiters; they see done
	s.changed = make(chan struct{})
	s.stateMu.Unlock()
	var errs []error
	if s.db != nil {
		s.syncMu.Lock()
		errs = append(errs, s.flushLocked(), s.syncLocked(), s.closeMarker())
		s.syncMu.Unlock()
		errs = append(errs, s.db.Close())
	}
	s.db = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mvcc: close %s: %w", s.path, err)
	}
	return nil
}

// view runs fn in a read transaction on the current file, once the file
// holds every entry Commit accepted (pending.go).
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	if err := s.flushForRead(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// AppliedIndex returns the index and term of the last applied entry.
func (s *Store) AppliedIndex() (index, term uint64) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.state.applied, s.state.term
}

// CurrentRevision returns the newest revision (the applied index).
func (s *Store) CurrentRevision() uint64 {
	index, _ := s.AppliedIndex()
	return index
}

// CompactedRevision returns the compaction revision: reads below it fail
// with ErrCompacted. It is set as soon as a compaction is scheduled.
func (s *Store) CompactedRevision() uint64 {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.state.scheduled
}

// SizeBytes returns the size of the store file in bytes (0 if closed).
func (s *Store) SizeBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return 0
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// mergeState folds the state a write transaction committed into the
// cache. Every field only grows between restores, so concurrent writers
// (Commit, compaction) cannot move the cache backwards. notify wakes
// everyone waiting on Changed.
func (s *Store) mergeState(st metaState, notify bool) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if st.applied > s.state.applied {
		s.state.applied, s.state.term = st.applied, st.term
	}
	s.state.scheduled = max(s.state.scheduled, st.scheduled)
	s.state.finished = max(s.state.finished, st.finished)
	s.state.records = max(s.state.records, st.records)
	s.state.audit = max(s.state.audit, st.audit)
	s.state.auditDone = max(s.state.auditDone, st.auditDone)
	if notify {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// replaceState sets the cache after a Restore (it may move backwards) and
// wakes everyone waiting on Changed.
func (s *Store) replaceState(st metaState) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.state = st
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed returns a channel that is closed after the next successful
// Commit or Restore (and on Close).
func (s *Store) Changed() <-chan struct{} {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.changed
}

// WaitApplied blocks until AppliedIndex() >= index, ctx is done or the
// store is closed.
func (s *Store) WaitApplied(ctx context.Context, index uint64) error {
	for {
		s.stateMu.Lock()
		applied, ch := s.state.applied, s.changed
		s.stateMu.Unlock()
		if applied >= index {
			return nil
		}
		select {
		case <-ch:
		case <-s.done:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("mvcc: wait for index %d (applied %d): %w", index, applied, ctx.Err())
		}
	}
}

// errIfClosed returns ErrClosed once Close has begun.
func (s *Store) errIfClosed() error {
	select {
	case <-s.done:
		return ErrClosed
	default:
		return nil
	}
}

// checkSize refuses a file shorter than the data its meta page says it
// holds (a truncated copy, a disk that lost its tail). bbolt's meta pages
// survive a truncation, and bbolt reads past the end at open (SIGBUS on
// the mmap, which no Go code can recover from) or at the first read of a
// lost page, so this reads the meta pages itself before bbolt opens the
// file. bbolt lays its meta out natively: little-endian on the platforms
// Ovi ships for.
func checkSize(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("mvcc: open %s: %w", path, err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil // a new file, or one bbolt reports on itself
	}
	need, ok := metaDataSize(f)
	if ok && fi.Size() < need {
		return fmt.Errorf("%w: %s is truncated: %d bytes on disk, its data needs %d; remove it to resync from the cluster, or restore a snapshot",
			ErrCorrupt, path, fi.Size(), need)
	}
	return nil
}

// bbolt meta page layout: a 16-byte page header, then magic, version and
// page size (uint32 each) at 16, 20, 24, and the high-water page id and
// the transaction id (uint64) at 56 and 64.
const (
	boltMagic        = 0xED0CDAED
	boltMetaPageSize = 24
	boltMetaPgid     = 56
	boltMetaTxid     = 64
	boltMetaEnd      = 72
)

// metaDataSize returns the bytes the newer valid meta page says the file
// holds (high-water page id × page size); ok is false when neither meta
// page is readable (bbolt's own open reports that).
func metaDataSize(f *os.File) (int64, bool) {
	buf := make([]byte, boltMetaEnd)
	if _, err := f.ReadAt(buf, 0); err != nil || binary.LittleEndian.Uint32(buf[16:]) != boltMagic {
		return 0, false
	}
	pageSize := int64(binary.LittleEndian.Uint32(buf[boltMetaPageSize:]))
	need, txid := int64(binary.LittleEndian.Uint64(buf[boltMetaPgid:]))*pageSize, binary.LittleEndian.Uint64(buf[boltMetaTxid:])
	if _, err := f.ReadAt(buf, pageSize); err == nil && binary.LittleEndian.Uint32(buf[16:]) == boltMagic &&
		binary.LittleEndian.Uint64(buf[boltMetaTxid:]) > txid {
		need = int64(binary.LittleEndian.Uint64(buf[boltMetaPgid:])) * pageSize
	}
	return need, true
}
