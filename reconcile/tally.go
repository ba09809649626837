package reconcile

import (
	"context"
	"sync"
	"time"
)

// CallTally counts the cloud API calls made under one context: a cycle
// puts one in its context (WithTally) and the provider's middleware
// reports every request attempt (retries included) and every wait of its
// client-side rate limiter to the tally it finds there (TallyFrom). It is
// safe for concurrent use.
type CallTally struct {
	mu     sync.Mutex
	calls  map[string]int    // per operation
	bucket map[string]string // operation → bucket
	order  []string          // operations in the order of their first call
	waited time.Duration
}

// NewCallTally returns an empty tally.
func NewCallTally() *CallTally {
	return &CallTally{calls: map[string]int{}, bucket: map[string]string{}}
}

type tallyKey struct{}

// WithTally returns ctx carrying t: calls made with the result are counted.
func WithTally(ctx context.Context, t *CallTally) context.Context {
	return context.WithValue(ctx, tallyKey{}, t)
}

// TallyFrom returns the tally ctx carries, or nil.
func TallyFrom(ctx context.Context) *CallTally {
	t, _ := ctx.Value(tallyKey{}).(*CallTally)
	return t
}

// Call counts one attempt of operation, which draws from bucket.
func (t *CallTally) Call(operation, bucket string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.calls[operation]; !seen {
		t.order = append(t.order, operation)
		t.bucket[operation] = bucket
	}
	t.calls[operation]++
}

// Waited adds a wait on the client-side rate limiter.
func (t *CallTally) Waited(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.waited += d
}

// Counts returns the calls per operation (with their buckets) in the
// order of each operation's first call, and the time waited.
func (t *CallTally) Counts() ([]OperationCalls, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]OperationCalls, len(t.order))
	for i, op := range t.order {
		out[i] = OperationCalls{Operation: op, Bucket: t.bucket[op], Calls: t.calls[op]}
	}
	return out, t.waited
}
