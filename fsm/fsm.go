package fsm

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// ErrStoreFailed is returned (wrapped) for every log of a batch the store
// could not commit, and for every log handed to the FSM afterwards. See
// FSM.Failed for what the node must do.
var ErrStoreFailed = errors.New("fsm: store failed, the node must stop")

// ApplyResult is what Apply and ApplyBatch return for each log (as the
// raft.ApplyFuture's Response). Revision is the log's Raft index, the
// revision its changes are visible at. Err is nil when the log was applied;
// it wraps ErrInvalidRecord or a wal decode error when the log was rejected
// (the applied index still advanced past it, with no change), and
// ErrStoreFailed when the store could not commit it.
type ApplyResult struct {
	Revision uint64
	Err      error
}

// FSM applies Raft logs into an mvcc store. It implements raft.FSM and
// raft.BatchingFSM. Apply, ApplyBatch, Snapshot and Restore are called by
// Raft from one goroutine; the read helpers (state.go), Err and Failed may
// be called concurrently with them.
type FSM struct {
	store    *mvcc.Store
	logger   *slog.Logger
	handlers map[wal.Kind]handler
	observe  ApplyObserver // nil: not measured

	mu       sync.Mutex
	fatalErr error         // first store failure; sticky
	failed   chan struct{} // closed when fatalErr is set
}

var (
	_ raft.FSM         = (*FSM)(nil)
	_ raft.BatchingFSM = (*FSM)(nil)
)

// ApplyObserver is told, after every Apply or ApplyBatch call, how many
// logs it carried and how long it took (decode, build and the store's
// commit: the part of raft.Apply's latency the FSM adds on the leader). It
// runs on Raft's FSM goroutine and must not block.
type ApplyObserver func(logs int, took time.Duration)

// Option configures an FSM.
type Option func(*FSM)

// WithApplyObserver measures every apply with fn.
func WithApplyObserver(fn ApplyObserver) Option { return func(f *FSM) { f.observe = fn } }

// New returns an FSM applying into store. A nil logger discards logs.
func New(store *mvcc.Store, logger *slog.Logger, opts ...Option) *FSM {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &FSM{
		store:    store,
		logger:   logger,
		handlers: handlers(),
		failed:   make(chan struct{}),
	}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Store returns the store the FSM applies into (for reads).
func (f *FSM) Store() *mvcc.Store { return f.store }

// Apply applies one log; it is ApplyBatch of one. It returns an ApplyResult.
func (f *FSM) Apply(l *raft.Log) any {
	return f.measured([]*raft.Log{l})[0]
}

// ApplyBatch applies logs in one store commit (one bbolt transaction, one
// fsync) and returns one ApplyResult per log, in order.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	results := f.measured(logs)
	out := make([]any, len(results))
	for i := range results {
		out[i] = results[i]
	}
	return out
}

// measured is applyLogs, timed for the observer when there is one.
func (f *FSM) measured(logs []*raft.Log) []ApplyResult {
	if f.observe == nil {
		return f.applyLogs(logs)
	}
	start := time.Now()
	results := f.applyLogs(logs)
	f.observe(len(logs), time.Since(start))
	return results
}

// Err returns the store failure that stopped the FSM, or nil.
func (f *FSM) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fatalErr
}

// Failed returns a channel closed when the store fails to commit a batch.
// hashicorp/raft cannot retry an apply: it has
// already counted the batch as applied, so this node's state now lags its
// log. The FSM refuses every later log (applying them on top of the gap
// would silently diverge from the other nodes), and the cluster must stop
// the node: shut Raft down, close the store, and exit non-zero so the
// operator or supervisor restarts it. On restart Raft restores the latest
// snapshot and replays the log after it; the store's applied index makes
// that replay exact.
func (f *FSM) Failed() <-chan struct{} { return f.failed }

// fail records the first fatal error and returns err.
func (f *FSM) fail(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fatalErr == nil {
		f.fatalErr = err
		close(f.failed)
	}
	return err
}
