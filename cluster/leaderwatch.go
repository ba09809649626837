package cluster

import "sync"

// leaderWatch tells waiters that Raft has reported a leader (a new one,
// or the same one learned again): the write path's and the consistent
// reads' retry loops wait on it beside their noLeaderRetry timer, so a
// proposal made through a follower during an election goes to the new
// leader the moment this node hears from it, instead of up to a retry
// interval later. The zero value is ready.
type leaderWatch struct {
	mu sync.Mutex
	ch chan struct{} // closed at the next leader report
}

// next returns a channel closed at the next leader report. Take it before
// the attempt it guards, so a report between the attempt and the wait is
// not missed.
func (w *leaderWatch) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// reported wakes every waiter of next.
func (w *leaderWatch) reported() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}
