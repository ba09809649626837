package notify_test

import (
	"context"
	"sync"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/wal"
)

// memLog is an in-memory Log: a committed record list with revisions
// 1, 2, ... (sub 0), delivery registers applied like the FSM's, and a
// leadership switch.
type memLog struct {
	mu         sync.Mutex
	recs       []notify.Committed
	progress   map[string]wal.Delivery
	changed    chan struct{}
	leading    bool
	recordable bool
	refuse     bool // refuse delivery records but the start (a leader dying between send and record)
}

func newMemLog() *memLog {
	return &memLog{progress: map[string]wal.Delivery{}, changed: make(chan struct{}), leading: true, recordable: true}
}

// append commits recs, one revision each, and returns the last position.
func (l *memLog) append(recs ...wal.Record) notify.Position {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		pos := notify.Position{Main: uint64(len(l.recs) + 1)}
		l.recs = append(l.recs, notify.Committed{Pos: pos, Record: r})
		if r.Delivery != nil {
			l.progress[r.Delivery.Receiver] = *r.Delivery
		}
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return l.recs[len(l.recs)-1].Pos
}

func (l *memLog) Records(after notify.Position, limit int) ([]notify.Committed, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []notify.Committed
	for _, c := range l.recs {
		if after.Less(c.Pos) && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (l *memLog) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *memLog) Applied() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.recs))
}

func (l *memLog) Progress(receiver string) (*wal.Delivery, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.progress[receiver]
	if !ok {
		return nil, nil
	}
	return &p, nil
}

func (l *memLog) Propose(_ context.Context, rec wal.Record) error {
	l.mu.Lock()
	refused := !l.leading || l.refuse && rec.Delivery != nil && rec.Delivery.Outcome != wal.DeliveryStart
	l.mu.Unlock()
	if refused {
		return notify.ErrNotLeader
	}
	l.append(rec)
	return nil
}

func (l *memLog) Recordable() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recordable
}

// deliveries returns the delivery records committed, in order.
func (l *memLog) deliveries() []wal.Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []wal.Delivery
	for _, c := range l.recs {
		if c.Record.Delivery != nil {
			out = append(out, *c.Record.Delivery)
		}
	}
	return out
}

func (l *memLog) set(f func(*memLog)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}
