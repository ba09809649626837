package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Coalesced forwarding: the proposals waiting on a follower go to the
// leader together, in one node-to-node request (transport.PathProposeMany)
// instead of one request each; each is still its own Raft entry, revision,
// answer and error. No timer gathers them: a proposal that finds fewer
// than forwardSenders requests in flight is sent at once (with whatever
// else is waiting), the others wait for the next free sender and go
// together. One client sees one request's latency; 64 see a few requests
// carrying many proposals each.
const (
	// forwardSenders bounds the batched requests in flight from one
	// follower: enough to keep the leader's log and store stages both
	// busy (Raft pipelines them), few enough that each carries a batch.
	forwardSenders = 4
	// forwardBatchMax bounds the proposals of one request (raft's
	// MaxAppendEntries: one append's worth).
	forwardBatchMax = raftMaxAppend
	// maxProposeManyBody limits a batched forwarding request's body.
	maxProposeManyBody = 4 * maxProposeBody
)

// forwardCall is one proposal waiting to be forwarded, and its answer.
type forwardCall struct {
	recs     []wal.Record
	deadline time.Time // zero: none beyond the caller's context
	addr     string
	client   *transport.Client
	done     chan forwardAnswer // buffered: the sender never blocks
	sent     bool               // taken by a sender (under forwarder.mu)
}

type forwardAnswer struct {
	rev uint64
	err error
}

// forwarder queues a follower's proposals for the leader and sends them
// in batched requests.
type forwarder struct {
	mu       sync.Mutex
	pending  []*forwardCall
	inflight int

	requests  *prometheus.CounterVec // ovi_forward_requests_total{wire}
	proposals *prometheus.CounterVec // ovi_forward_proposals_total{wire}
}

// Values of the wire label.
const (
	wireSingle = "single" // transport.PathPropose: one proposal a request
	wireBatch  = "batch"  // transport.PathProposeMany
)

func newForwarder(reg prometheus.Registerer) *forwarder {
	f := &forwarder{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ovi_forward_requests_total",
			Help: "Node-to-node requests this follower sent to forward proposals to the leader, by wire format (single, batch).",
		}, []string{"wire"}),
		proposals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ovi_forward_proposals_total",
			Help: "Proposals this follower forwarded to the leader, by wire format (single, batch).",
		}, []string{"wire"}),
	}
	reg.MustRegister(f.requests, f.proposals)
	for _, w := range []string{wireSingle, wireBatch} {
		f.requests.WithLabelValues(w)
		f.proposals.WithLabelValues(w)
	}
	return f
}

// forwardSingle sends one proposal in a request of its own (a leader that
// does not serve the batched endpoint).
func (f *forwarder) forwardSingle(ctx context.Context, addr string, leader *transport.Client, recs []wal.Record) (uint64, error) {
	f.requests.WithLabelValues(wireSingle).Inc()
	f.proposals.WithLabelValues(wireSingle).Inc()
	res, err := leader.Propose(ctx, transport.ProposeRequest{Records: recs})
	if err != nil {
		return 0, forwardError(addr, err)
	}
	return res.Revision, nil
}

// forward queues recs for the leader at addr and waits for the answer.
// Given up before a sender took it (ctx ended), the proposal was never
// sent; after, its outcome is unknown unless the leader answered.
func (f *forwarder) forward(ctx context.Context, deadline time.Time, addr string, leader *transport.Client, recs []wal.Record) (uint64, error) {
	c := &forwardCall{recs: recs, deadline: deadline, addr: addr, client: leader, done: make(chan forwardAnswer, 1)}
	f.mu.Lock()
	f.pending = append(f.pending, c)
	start := f.inflight < forwardSenders
	if start {
		f.inflight++
	}
	f.mu.Unlock()
	if start {
		go f.send()
	}
	var expired <-chan time.Time // the deadline, for a call still waiting for a sender
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	var why error
	select {
	case ans := <-c.done:
		return ans.rev, ans.err
	case <-ctx.Done():
		why = ctx.Err()
	case <-expired:
		why = context.DeadlineExceeded
	}
	if f.withdraw(c) {
		return 0, notSent(addr, why)
	}
	if why == context.DeadlineExceeded && ctx.Err() == nil {
		ans := <-c.done // sent: its request is bounded by this deadline too, and answers soon
		return ans.rev, ans.err
	}
	select {
	case ans := <-c.done: // answered meanwhile
		return ans.rev, ans.err
	default:
	}
	return 0, fmt.Errorf("%w: forwarded to the leader at %s: %w", ErrOutcomeUnknown, addr, why)
}

// notSent is the error of a proposal given up (why) before any request
// carried it: certainly not appended.
func notSent(addr string, why error) error {
	return fmt.Errorf("cluster: propose: %w (not sent to the leader at %s)", why, addr)
}

// withdraw takes c out of the queue if no sender has taken it yet.
func (f *forwarder) withdraw(c *forwardCall) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.sent {
		return false
	}
	for i, p := range f.pending {
		if p == c {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
			return true
		}
	}
	return false
}

// send is one sender: it sends what is waiting until nothing is.
func (f *forwarder) send() {
	for {
		batch := f.take()
		if len(batch) == 0 {
			return
		}
		f.sendBatch(batch)
	}
}

// take removes the next batch from the queue: the oldest waiting
// proposal and those after it bound for the same leader, up to
// forwardBatchMax proposals and maxBatchRecords records (at least one).
// With nothing waiting it ends the sender (under the lock, so a proposal
// queued meanwhile starts another).
func (f *forwarder) take() []*forwardCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pending) == 0 {
		f.inflight--
		return nil
	}
	addr := f.pending[0].addr
	var batch []*forwardCall
	rest := f.pending[:0]
	records := 0
	for _, c := range f.pending {
		fits := len(batch) == 0 || (len(batch) < forwardBatchMax && records+len(c.recs) <= maxBatchRecords)
		if c.addr != addr || !fits {
			rest = append(rest, c)
			continue
		}
		c.sent = true
		records += len(c.recs)
		batch = append(batch, c)
	}
	clear(f.pending[len(rest):])
	f.pending = rest
	return batch
}

// sendBatch sends one batch and hands each proposal its answer. The
// request is bounded by the earliest deadline among them (each caller's
// write deadline; peerCallTimeout when none has one).
func (f *forwarder) sendBatch(batch []*forwardCall) {
	batch = dropExpired(batch)
	if len(batch) == 0 {
		return
	}
	deadline := time.Now().Add(peerCallTimeout)
	in := transport.ProposeBatchRequest{Proposals: make([]transport.ProposeRequest, len(batch))}
	for i, c := range batch {
		in.Proposals[i].Records = c.recs
		if !c.deadline.IsZero() && c.deadline.Before(deadline) {
			deadline = c.deadline
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	f.requests.WithLabelValues(wireBatch).Inc()
	f.proposals.WithLabelValues(wireBatch).Add(float64(len(batch)))
	addr := batch[0].addr
	out, err := batch[0].client.ProposeBatch(ctx, in)
	if err == nil && len(out.Results) != len(batch) {
		err = fmt.Errorf("the leader answered %d results for %d proposals", len(out.Results), len(batch))
		err = fmt.Errorf("%w: forwarded to the leader at %s: %w", ErrOutcomeUnknown, addr, err)
	}
	for i, c := range batch {
		c.done <- batchAnswer(addr, out, i, err)
	}
}

// dropExpired answers the calls whose deadline passed while they waited
// for a sender (not sent: nothing was appended) and returns the others.
func dropExpired(batch []*forwardCall) []*forwardCall {
	now := time.Now()
	live := batch[:0]
	for _, c := range batch {
		if !c.deadline.IsZero() && !now.Before(c.deadline) {
			c.done <- forwardAnswer{err: notSent(c.addr, context.DeadlineExceeded)}
			continue
		}
		live = append(live, c)
	}
	return live
}

// batchAnswer is proposal i's answer: the request's failure (read as
// forwardError reads a single forward's) or its own result.
func batchAnswer(addr string, out transport.ProposeBatchResponse, i int, err error) forwardAnswer {
	if errors.Is(err, ErrOutcomeUnknown) {
		return forwardAnswer{err: err}
	}
	if err != nil {
		return forwardAnswer{err: forwardError(addr, err)}
	}
	if e := out.Results[i].Error; e != nil {
		return forwardAnswer{err: forwardError(addr, e)}
	}
	return forwardAnswer{rev: out.Results[i].Revision}
}
