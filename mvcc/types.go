package mvcc

import (
	"errors"
	"log/slog"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Sentinel errors. Compare with errors.Is; they are returned wrapped with
// context where the context helps.
var (
	ErrCompacted      = errors.New("mvcc: required revision has been compacted")
	ErrFutureRevision = errors.New("mvcc: required revision is a future revision")
	ErrKeyNotFound    = errors.New("mvcc: key not found")
	ErrClosed         = errors.New("mvcc: store closed")
	// ErrInvalidInput is returned (wrapped, with the reason) for malformed
	// keys, operations, entries, filters and snapshots.
	ErrInvalidInput = errors.New("mvcc: invalid input")
	// ErrCorrupt is returned (wrapped) when a store file or a snapshot does
	// not hold what the store wrote.
	ErrCorrupt = errors.New("mvcc: corrupt data")
)

// MaxKeyLen is the longest key the store accepts, in bytes.
const MaxKeyLen = 512

// Revision is a point in the store's history. Main is the Raft index of the
// entry that made the change; Sub orders the changes inside one entry.
type Revision struct {
	Main uint64
	Sub  uint32
}

// Less reports whether r is strictly before o.
func (r Revision) Less(o Revision) bool {
	return r.Main < o.Main || (r.Main == o.Main && r.Sub < o.Sub)
}

// IsZero reports whether r is the zero revision.
func (r Revision) IsZero() bool { return r.Main == 0 && r.Sub == 0 }

// OpType is the kind of a key-value change.
type OpType uint8

// Operation types. Their values are part of the on-disk format.
const (
	OpPut    OpType = 1
	OpDelete OpType = 2
)

// Op is one key-value change. Keys are non-empty, contain no 0x00 byte and
// are at most MaxKeyLen bytes.
type Op struct {
	Type  OpType
	Key   string
	Value []byte
}

// Entry is everything one Raft entry changes. Op i is at revision {Index, i};
// Records[i] is at revision {Index, i} in the audit log (a separate
// sequence).
type Entry struct {
	Index   uint64
	Term    uint64
	Ops     []Op
	Records []wal.Record
	// Encoded, when set, holds each record's wal.EncodeRecord bytes (the
	// bytes the log carries; the FSM passes them through). They are stored
	// as they are; Records[i] must be their decoding. Nil: Commit encodes
	// Records itself (callers outside the FSM, tests).
	Encoded [][]byte
	// Compact, if > 0, schedules compaction of KV history below this
	// revision (clamped to Index; ignored if not above the current
	// compaction revision).
	Compact uint64
	// CompactAudit, if > 0, schedules dropping the audit records below
	// this revision (clamped to Index; ignored if not above the current
	// audit compaction revision). See retention.go.
	CompactAudit uint64
}

// KeyValue is one version of a key.
type KeyValue struct {
	Key            string
	Value          []byte
	CreateRevision Revision // revision of the put that (re)created the key
	ModRevision    Revision // revision of this version
	Version        int64    // puts since (re)creation, 1 for the first; 0 for a tombstone
	Deleted        bool     // tombstone (only returned by History)
}

// Change is one key whose value differs between two revisions; nil means
// absent at that revision.
type Change struct {
	Key    string
	Before *KeyValue
	After  *KeyValue
}

// ReplayFilter selects audit-log records. All set fields must match.
type ReplayFilter struct {
	ResourceID string
	Kinds      []wal.Kind // empty = all
	Since      time.Time  // zero = unbounded (inclusive)
	Until      time.Time  // zero = unbounded (exclusive)
	After      Revision   // only records strictly after this revision; zero = all
	Limit      int        // 0 = no limit; the FIRST Limit records in revision order
	// Last makes Limit count from the end: the LAST Limit matching records,
	// still returned in revision order. It needs Limit > 0.
	Last bool
}

// RecordAt is an audit-log record with its revision.
type RecordAt struct {
	Revision Revision
	Record   wal.Record
}

// Options configure a Store.
type Options struct {
	// NoSync skips fsync on commit. Tests and benchmarks only: a machine
	// crash can lose or corrupt acknowledged data.
	NoSync bool
	// SyncInterval, when > 0, takes the store off the fsync path: commits
	// write without fsync, and the store is made durable every
	// SyncInterval, on Sync and on Close. For a store whose every entry is
	// also in a durable log that can replay it (the FSM's store under
	// Raft): a process crash loses nothing the kernel accepted; a machine
	// crash while the store is un-synced makes the next Open return
	// ErrTorn, and the caller rebuilds the store. 0 fsyncs every commit.
	SyncInterval time.Duration
	// CommitInterval, when > 0, takes the bbolt commit off the apply path
	// as well (pending.go): Commit buffers its entries in memory, the store
	// writes the buffer in one transaction every CommitInterval (and when
	// it is full, and before any read, snapshot, Sync or Close), and
	// AppliedIndex counts the buffer. A process crash loses the buffered
	// entries from the store: for a store whose entries a durable log
	// replays after its applied index (the FSM's store under Raft). 0
	// writes every Commit at once.
	CommitInterval time.Duration
	// BootID identifies this boot of the machine (empty: read from
	// /proc/sys/kernel/random/boot_id). A store found dirty by a later
	// boot is torn. Tests set it to simulate a machine restart.
	BootID string
	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger
}
