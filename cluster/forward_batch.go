package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Coalesced forwarding: the proposals waiting on a follower go to the
// leader together, in one node-to-node request (transport.PathProposeMany)
// instead of one request each (a coalescer: no timer gathers them). On
// the leader, each is still its own proposal, answer and error (which the
// leader's merger may commit in one Raft entry with others).
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
	done     chan proposalAnswer // buffered: the sender never blocks
}

// proposalAnswer is what a queued proposal gets back: its revision, or
// the error.
type proposalAnswer struct {
	rev uint64
	err error
}

// forwarder queues a follower's proposals for the leader and sends them
// in batched requests.
type forwarder struct {
	queue coalescer[forwardCall]

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
	f.queue = coalescer[forwardCall]{
		senders: forwardSenders, maxCalls: forwardBatchMax, maxSize: maxBatchRecords,
		size:     func(c *forwardCall) int { return len(c.recs) },
		together: func(first, c *forwardCall) bool { return c.addr == first.addr },
		send:     f.sendBatch,
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
	c := &forwardCall{recs: recs, deadline: deadline, addr: addr, client: leader, done: make(chan proposalAnswer, 1)}
	f.queue.add(c)
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
	if f.queue.withdraw(c) {
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
			c.done <- proposalAnswer{err: notSent(c.addr, context.DeadlineExceeded)}
			continue
		}
		live = append(live, c)
	}
	return live
}

// batchAnswer is proposal i's answer: the request's failure (read as
// forwardError reads a single forward's) or its own result.
func batchAnswer(addr string, out transport.ProposeBatchResponse, i int, err error) proposalAnswer {
	if errors.Is(err, ErrOutcomeUnknown) {
		return proposalAnswer{err: err}
	}
	if err != nil {
		return proposalAnswer{err: forwardError(addr, err)}
	}
	if e := out.Results[i].Error; e != nil {
		return proposalAnswer{err: forwardError(addr, e)}
	}
	return proposalAnswer{rev: out.Results[i].Revision}
}
