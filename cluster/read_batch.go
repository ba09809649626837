package cluster

import (
	"context"
	"sync"

	"github.com/yairfalse/ovi/transport"
)

// readRound is one read-index round shared by the reads that joined it.
type readRound struct {
	done chan struct{}
	idx  uint64
	err  error
}

// readBatcher lets concurrent linearizable reads share read-index rounds.
// A read joins the round that has not started yet and is answered when
// that round ends; a round in flight is never joined, because its index
// may predate the read. So each read still gets an index obtained after it
// began, and N concurrent reads cost about two rounds instead of N.
type readBatcher struct {
	mu      sync.Mutex
	next    *readRound
	running bool
}

// get waits for the index of a round that starts after the call.
func (b *readBatcher) get(ctx context.Context, fetch func(context.Context) (uint64, error)) (uint64, error) {
	b.mu.Lock()
	if b.next == nil {
		b.next = &readRound{done: make(chan struct{})}
	}
	r := b.next
	if !b.running {
		b.running = true
		go b.run(fetch)
	}
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.idx, r.err
	case <-ctx.Done():
		return 0, transport.Errorf(transport.CodeTimeout, "consistent read: %v", ctx.Err())
	}
}

// run executes rounds until nobody waits.
func (b *readBatcher) run(fetch func(context.Context) (uint64, error)) {
	for {
		b.mu.Lock()
		r := b.next
		b.next = nil
		if r == nil {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		r.idx, r.err = fetch(ctx)
		cancel()
		close(r.done)
	}
}
