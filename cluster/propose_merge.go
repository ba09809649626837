package cluster

import (
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/wal"
)

// Group commit on the leader: proposals waiting to be appended go into
// Raft together, as one entry whose batch holds their records in order,
// instead of one entry each (a coalescer: no timer gathers them). Light
// load is pipelined: a proposal that finds only single proposals in
// flight, fewer than mergeSenders, is appended at once, alone, as Raft
// pipelines entries. Heavy load is merged: the proposals that come while
// no entry may start wait, the next entry carries all of them, and while
// such a merged entry is in flight no other starts, so what arrives during
// its round goes in the next one. Each proposal keeps its records, its
// answer and, since the entry commits as a whole, the entry's revision:
// concurrent writes may share a revision, as the records of one batch
// always have (record i of an entry is at {revision, i}). None can fail
// another: each is validated and checked against the FSM's rules before it
// is queued (applyLocal), so the FSM does not refuse a merged entry.
const (
	// mergeSenders bounds the single proposals in flight side by side.
	// Raft's per-entry work (the log's encoding and fsync, replication,
	// the apply on every node) is a large part of a small write's cost:
	// entries in flight side by side under heavy load would each carry a
	// share of what waits and keep that cost, so a merged entry goes alone
	// (docs/benchmarks.md, session 7).
	mergeSenders = 4
	// mergeMaxBytes bounds one merged entry's records (a proposal larger
	// than that goes alone).
	mergeMaxBytes = 256 << 10
	// mergeMaxProposals bounds the proposals of one merged entry.
	mergeMaxProposals = 1024
)

// applier is the part of raft the merger uses.
type applier interface {
	Apply(cmd []byte, timeout time.Duration) raft.ApplyFuture
}

// agentRaft is the agent's raft, read when an entry is appended (the
// merger is built before raft starts; only a leader appends).
type agentRaft struct{ a *Agent }

func (r agentRaft) Apply(cmd []byte, timeout time.Duration) raft.ApplyFuture {
	return r.a.raft.Apply(cmd, timeout)
}

// mergeCall is one proposal waiting to be appended, and its answer.
type mergeCall struct {
	frames   []byte // its records, encoded as a batch's body (wal.AppendFrames)
	records  int
	format   byte
	deadline time.Time // zero: defaultApplyTimeout to be appended
	done     chan proposalAnswer
}

// merger queues the leader's proposals and appends them in merged entries.
type merger struct {
	queue coalescer[mergeCall]
	raft  applier

	entries   prometheus.Counter // ovi_propose_entries_total
	proposals prometheus.Counter // ovi_propose_proposals_total
}

func newMerger(r applier, reg prometheus.Registerer) *merger {
	m := &merger{
		raft: r,
		entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ovi_propose_entries_total",
			Help: "Raft entries this node appended as leader for proposals (several proposals may share one).",
		}),
		proposals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ovi_propose_proposals_total",
			Help: "Proposals this node appended as leader, in ovi_propose_entries_total entries.",
		}),
	}
	m.queue = coalescer[mergeCall]{
		senders: mergeSenders, maxCalls: mergeMaxProposals, maxSize: mergeMaxBytes, singles: true,
		size:     func(c *mergeCall) int { return len(c.frames) },
		together: func(first, c *mergeCall) bool { return c.format == first.format },
		send:     m.apply,
	}
	reg.MustRegister(m.entries, m.proposals)
	return m
}

// propose queues one validated proposal and waits for its answer.
func (m *merger) propose(deadline time.Time, format byte, frames []byte, records int) (uint64, error) {
	c := &mergeCall{frames: frames, records: records, format: format, deadline: deadline, done: make(chan proposalAnswer, 1)}
	m.queue.add(c)
	ans := <-c.done
	return ans.rev, ans.err
}

// apply appends one merged entry and gives every proposal in it the
// entry's answer. A proposal whose deadline passed while it waited is
// answered ErrProposalTimeout (not appended). The entry waits to be
// enqueued until the latest deadline among the others (defaultApplyTimeout
// for one without), so that no proposal's shorter deadline fails the rest.
func (m *merger) apply(batch []*mergeCall) {
	now := time.Now()
	var timeout time.Duration
	frames := make([][]byte, 0, len(batch))
	live, records := batch[:0], 0
	for _, c := range batch {
		wait := defaultApplyTimeout
		if !c.deadline.IsZero() {
			if wait = c.deadline.Sub(now); wait <= 0 {
				c.done <- proposalAnswer{err: fmt.Errorf("%w: its deadline passed while the entry before it committed", ErrProposalTimeout)}
				continue
			}
		}
		timeout = max(timeout, wait)
		live, records, frames = append(live, c), records+c.records, append(frames, c.frames)
	}
	if len(live) == 0 {
		return
	}
	f := m.raft.Apply(wal.JoinFrames(live[0].format, records, frames...), timeout)
	var ans proposalAnswer
	if err := f.Error(); err != nil {
		ans.err = applyError(err)
	} else {
		ans.rev, ans.err = applyResult(f.Response())
	}
	m.entries.Inc()
	m.proposals.Add(float64(len(live)))
	for _, c := range live {
		c.done <- ans
	}
}
