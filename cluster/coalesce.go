package cluster

import "sync"

// coalescer queues calls and hands them, in batches, to at most senders
// goroutines: a follower's proposals on their way to the leader
// (forwarder), and the leader's proposals on their way into Raft
// (merger). No timer gathers a batch. A call that finds a sender free
// starts one and goes at once, with whatever else is waiting; while no
// sender may start, calls accumulate, and the next sender takes them
// together. One caller sees one call's latency; many see a few batches
// carrying many calls each.
type coalescer[C any] struct {
	mu       sync.Mutex
	pending  []*C
	inflight int // batches being sent
	merged   int // of those, the ones of more than one call

	senders  int // at most this many batches in flight
	maxCalls int // calls in one batch
	maxSize  int // the sum of size over one batch (a first call larger goes alone)
	// singles: while a batch of more than one call is in flight, no
	// other starts (calls wait for it and go together); only single
	// calls are sent side by side, up to senders of them. Light load is
	// pipelined, heavy load merged.
	singles  bool
	size     func(c *C) int
	together func(first, c *C) bool // may c go in a batch that starts with first
	send     func(batch []*C)
}

// add queues c, and sends it at once if a batch may start.
func (q *coalescer[C]) add(c *C) {
	q.mu.Lock()
	q.pending = append(q.pending, c)
	q.mu.Unlock()
	q.kick()
}

// kick starts a sender with the calls waiting, if a batch may start.
func (q *coalescer[C]) kick() {
	q.mu.Lock()
	batch := q.startLocked()
	q.mu.Unlock()
	if batch != nil {
		go q.run(batch)
	}
}

// run is one sender: it sends batch, then the next while one may start.
func (q *coalescer[C]) run(batch []*C) {
	for batch != nil {
		q.send(batch)
		q.mu.Lock()
		q.inflight--
		if len(batch) > 1 {
			q.merged--
		}
		batch = q.startLocked()
		q.mu.Unlock()
	}
}

// startLocked takes the next batch if calls wait and a batch may start
// now: none is in flight, or fewer than senders are and (with singles)
// each of them is one call. Whenever the last batch in flight ends, the
// calls waiting start, so none waits forever.
func (q *coalescer[C]) startLocked() []*C {
	if len(q.pending) == 0 || q.inflight >= q.senders || (q.singles && q.merged > 0) {
		return nil
	}
	batch := q.takeLocked()
	q.inflight++
	if len(batch) > 1 {
		q.merged++
	}
	return batch
}

// takeLocked removes the next batch from the queue: the oldest waiting
// call and those after it that may go with it, within maxCalls and
// maxSize.
func (q *coalescer[C]) takeLocked() []*C {
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
