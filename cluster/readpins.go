package cluster

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// readsTimeout bounds the leader's question to one server about its reads
// in flight; a server that does not answer in time holds nothing back.
const readsTimeout = 2 * time.Second

// readPins are the reads in flight on this node at a past revision: a
// state read at ?revision, a diff from ?from, a WAL replay or follow
// stream after ?after. Before compacting, the leader asks every server for
// its oldest pin younger than retention.read_grace and compacts no further
// than that revision, so a read that started before the compaction was
// decided is not cut off halfway (a follow stream reading on, or a client
// paging through a replay). A pin older than the grace no longer holds.
type readPins struct {
	mu   sync.Mutex
	next uint64
	pins map[uint64]readPin
}

// readPin is one read in flight.
type readPin struct {
	rev   uint64
	since time.Time
}

// hold pins rev until the returned release is called.
func (p *readPins) hold(rev uint64, now time.Time) (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pins == nil {
		p.pins = map[uint64]readPin{}
	}
	p.next++
	id := p.next
	p.pins[id] = readPin{rev: rev, since: now}
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.pins, id)
	}
}

// oldest is the lowest revision pinned by a read younger than grace (0:
// none).
func (p *readPins) oldest(now time.Time, grace time.Duration) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var low uint64
	for _, pin := range p.pins {
		if now.Sub(pin.since) <= grace && (low == 0 || pin.rev < low) {
			low = pin.rev
		}
	}
	return low
}

// pinnedRead wraps a read handler so the revision it reads is pinned while
// it runs.
func (a *Agent) pinnedRead(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if rev := pinRevision(r.URL.Query()); rev > 0 {
			defer a.pins.hold(rev, a.now())()
		}
		return h(w, r)
	}
}

// pinRevision is the past revision a read names: ?revision (state), ?from
// (diff) or ?after (WAL replay and follow; "main" or "main.sub").
func pinRevision(v url.Values) uint64 {
	for _, name := range []string{"revision", "from"} {
		if n, err := strconv.ParseUint(v.Get(name), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	if rev, err := transport.ParseRevision(v.Get("after")); err == nil && rev.Main > 0 {
		return rev.Main + 1 // the records after it
	}
	return 0
}

// handleReads serves GET /v1/internal/reads: this node's oldest pinned
// revision within the grace.
func (a *Agent) handleReads(w http.ResponseWriter, _ *http.Request) error {
	out := transport.ReadsResponse{Oldest: a.readsOldest()}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// readsOldest is this node's oldest pinned revision within the read
// grace in force (0: none).
func (a *Agent) readsOldest() uint64 {
	return a.pins.oldest(a.now(), a.Retention().grace())
}

// readHolds asks every server (this one locally) for its oldest pinned
// revision; servers that do not answer within readsTimeout hold nothing.
func (a *Agent) readHolds(ctx context.Context, now time.Time) []transport.CompactHold {
	var holds []transport.CompactHold
	if rev := a.pins.oldest(now, a.Retention().grace()); rev > 0 {
		holds = append(holds, transport.CompactHold{Node: a.cfg.NodeName, Revision: rev})
	}
	for _, p := range a.raftPeers().Peers {
		m, ok := a.members.lookup(p.ID)
		if p.ID == a.cfg.NodeName || !ok {
			continue
		}
		resp, err := a.askReads(ctx, m.meta.HTTPAddr)
		if err != nil {
			a.logger.Debug("asking a server for its reads in flight", "node", p.ID, "err", err)
			continue
		}
		if resp.Oldest > 0 {
			holds = append(holds, transport.CompactHold{Node: p.ID, Revision: resp.Oldest})
		}
	}
	return holds
}

// holdForReads lowers the targets to the oldest revision a read in flight
// still needs, and notes which reads held them back.
func (a *Agent) holdForReads(ctx context.Context, kv, audit uint64, now time.Time, plan *transport.CompactPlan) (uint64, uint64) {
	for _, h := range a.readHolds(ctx, now) {
		held := false
		if kv > h.Revision {
			kv, held = h.Revision, true
		}
		if audit > h.Revision {
			audit, held = h.Revision, true
		}
		if held {
			plan.Held = append(plan.Held, h)
		}
	}
	return kv, audit
}

// askReads asks the server at addr for its oldest pinned revision.
func (a *Agent) askReads(ctx context.Context, addr string) (transport.ReadsResponse, error) {
	c, err := a.clients.get(addr)
	if err != nil {
		return transport.ReadsResponse{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, readsTimeout)
	defer cancel()
	return c.Reads(ctx)
}
