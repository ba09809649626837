package cluster

import "sync"

// coalescer queues calls and hands them, in batches, to at most senders
// goroutines: a follower's proposals on their way to the leader
// (forwarder), and the leader's proposals on their way into Raft
// (merger). No timer gathers a batch. A call that finds a sender free
// starts one and goes at once, with whatever else is waiting; while every
// sender is busy, calls accumulate, and the next free sender takes them
// together. One caller sees one call's latency; many see a few batches
// carrying many calls each.
type coalescer[C any] struct {
	mu       sync.Mutex
	pending  []*C
	inflight int // senders running

	senders  int // at most this many batches in flight
	maxCalls int // calls in one batch
	maxSize  int // the sum of size over one batch (a first call larger goes alone)
	size     func(c *C) int
	together func(first, c *C) bool // may c go in a batch that starts with first
	send     func(batch []*C)
}

// add queues c, starting a sender if one is free.
func (q *coalescer[C]) add(c *C) {
	q.mu.Lock()
	q.pending = append(q.pending, c)
	start := q.inflight < q.senders
	if start {
		q.inflight++
	}
	q.mu.Unlock()
	if start {
		go q.run()
	}
}

// run is one sender: it sends what is waiting until nothing is.
func (q *coalescer[C]) run() {
	for {
		batch := q.take()
		if len(batch) == 0 {
			return
		}
		q.send(batch)
	}
}

// take removes the next batch from the queue: the oldest waiting call and
// those after it that may go with it, within maxCalls and maxSize. With
// nothing waiting it ends the sender (under the lock, so a call queued
// meanwhile starts another).
func (q *coalescer[C]) take() []*C {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		q.inflight--
		return nil
	}
	first := q.pending[0]
	batch, size := []*C{first}, q.size(first)
	rest := q.pending[:0]
	for _, c := range q.pending[1:] {
		if s := q.size(c); len(batch) < q.maxCalls && size+s <= q.maxSize && q.together(first, c) {
			batch, size = append(batch, c), size+s
			continue
		}
		rest = append(rest, c)
	}
	clear(q.pending[len(rest):])
	q.pending = rest
	return batch
}

// withdraw takes c out of the queue if no sender has taken it yet.
func (q *coalescer[C]) withdraw(c *C) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.pending {
		if p == c {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			return true
		}
	}
	return false
}

// waiting is the number of calls queued and not yet taken.
func (q *coalescer[C]) waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}
