package notify

import (
	"context"
	"sync"
)

// queue is a receiver's bounded FIFO of events waiting to be sent. Push
// never blocks: a full queue refuses the event (the caller counts and
// logs the drop). Pop blocks until an event arrives or ctx ends.
type queue struct {
	mu     sync.Mutex
	items  []Event
	limit  int
	signal chan struct{} // one token while items is non-empty
}

func newQueue(limit int) *queue {
	return &queue{limit: limit, signal: make(chan struct{}, 1)}
}

// Push appends ev and reports whether it fitted.
func (q *queue) Push(ev Event) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= q.limit {
		return false
	}
	q.items = append(q.items, ev)
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return true
}

// Pop removes and returns the oldest event, waiting for one.
func (q *queue) Pop(ctx context.Context) (Event, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			ev := q.items[0]
			q.items[0] = Event{}
			q.items = q.items[1:]
			if len(q.items) > 0 {
				select {
				case q.signal <- struct{}{}:
				default:
				}
			}
			q.mu.Unlock()
			return ev, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return Event{}, false
		case <-q.signal:
		}
	}
}

// Len is the number of events waiting.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
