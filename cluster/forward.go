package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Proposal limits.
const (
	defaultApplyTimeout = 10 * time.Second
	maxBatchRecords     = 10000
	noLeaderRetry       = 50 * time.Millisecond
)

// Errors of the write path. Propose and the forwarding endpoint return
// them wrapped (%w) with what happened; match them with errors.Is. Only
// the HTTP layer turns them into status codes and API error codes
// (errorCodes in http_errors.go), and back into these errors when a
// follower reads the leader's answer.
var (
	// ErrNotLeader: this node (or the node a follower forwarded to) is
	// not the leader; the proposal was not appended, and Propose retries
	// it at the leader it finds next.
	ErrNotLeader = errors.New("cluster: not the leader")
	// ErrInvalidProposal: the batch was refused before it was appended
	// (an empty or oversized batch, a record that does not validate or
	// that the cluster's oldest node cannot read), or the FSM refused it.
	ErrInvalidProposal = errors.New("cluster: invalid proposal")
	// ErrOutcomeUnknown: the proposal may or may not commit (leadership
	// was lost after the entry was appended, or the leader never answered
	// a forwarded request it had received). Never retried: read the WAL
	// before proposing again.
	ErrOutcomeUnknown = errors.New("cluster: proposal outcome unknown (it may still commit)")
	// ErrProposalTimeout: the proposal was not appended before its
	// deadline (raft's apply queue stayed full); nothing was written.
	ErrProposalTimeout = errors.New("cluster: proposal timed out before it was appended (not applied)")
	// ErrForeignOrigin: without TLS, a forwarded batch names a node that
	// is not a server of this cluster.
	ErrForeignOrigin = errors.New("cluster: forwarded write refused")
)

// Propose commits records atomically, in order, in one Raft entry, and
// returns its revision (the entry may also hold the records of concurrent
// proposals: the leader's merger, propose_merge.go). Any node accepts
// proposals: a follower forwards them to the leader's HTTP API, so callers
// never need to find the leader. Records without a Time get this node's
// clock; Node is set to this node's name when empty (callers are this
// process: its reconcile engine and its API handlers); the leader stamps
// its current Term. On the leader, a follower's forwarded records get the
// follower's authenticated name and a time within recordTimeWindow of the
// leader's clock (see stampForwarded). The records are validated once, by
// the leader as it encodes them (applyLocal).
//
// While no leader is known (an election), Propose waits and retries until
// ctx ends: every noLeaderRetry, and at once when Raft reports a leader.
// A proposal whose outcome is unknown (ErrOutcomeUnknown) is NOT retried.
func (a *Agent) Propose(ctx context.Context, recs []wal.Record) (uint64, error) {
	return a.proposeBy(ctx, time.Time{}, recs)
}

// proposeBy is Propose bounded by deadline as well as by ctx (a zero
// deadline: ctx alone). The API's write handlers bound every write this
// way rather than with a context of their own: on the leader no timer is
// armed for it (raft.Apply bounds the enqueue itself); a follower arms
// one for the forwarded request only.
func (a *Agent) proposeBy(ctx context.Context, deadline time.Time, recs []wal.Record) (uint64, error) {
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}
	batch := a.stampLocal(recs)
	for {
		leader := a.leaders.next()
		rev, err := a.proposeOnce(ctx, deadline, batch)
		if !retryable(err) {
			return rev, err
		}
		wait := noLeaderRetry
		if !deadline.IsZero() {
			wait = min(wait, time.Until(deadline))
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("cluster: propose: %w (last error: %w)", ctx.Err(), err)
		case <-a.stopCh:
			return 0, ErrShutdown
		case <-leader: // a leader was reported: try it now
		case <-time.After(wait):
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, fmt.Errorf("cluster: propose: %w (last error: %w)", context.DeadlineExceeded, err)
		}
	}
}

// stampLocal copies the records (the caller keeps its own) and gives
// those without a time or node this node's clock and name.
func (a *Agent) stampLocal(recs []wal.Record) []wal.Record {
	out := make([]wal.Record, len(recs))
	now := a.now()
	for i := range recs {
		out[i] = recs[i]
		if out[i].Time.IsZero() {
			out[i].Time = now
		}
		if out[i].Node == "" {
			out[i].Node = a.cfg.NodeName
		}
	}
	return out
}

// proposeOnce applies locally when leading, else forwards to the leader
// (the forwarded request bounded by deadline too).
func (a *Agent) proposeOnce(ctx context.Context, deadline time.Time, recs []wal.Record) (uint64, error) {
	if a.raft.State() == raft.Leader {
		return a.applyLocal(deadline, recs)
	}
	m, err := a.leaderMember()
	if err != nil {
		return 0, err
	}
	addr := m.meta.HTTPAddr
	leader, err := a.clients.get(addr)
	if err != nil {
		return 0, err
	}
	if m.meta.has(capProposeBatch) {
		return a.forwards.forward(ctx, deadline, addr, leader, recs)
	}
	if dl, ok := ctx.Deadline(); !deadline.IsZero() && (!ok || deadline.Before(dl)) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return a.forwards.forwardSingle(ctx, addr, leader, recs)
}

// applyLocal is the proposer boundary: it stamps the term, validates and
// encodes the records (wal's encoder validates every record; the FSM's
// decoder checks them again only as an invariant), makes the FSM's own
// checks (fsm.FSM.CheckRecords), and hands the proposal to the merger,
// which appends it through Raft, alone or in one entry with others,
// waiting to enqueue it until deadline (zero: defaultApplyTimeout).
func (a *Agent) applyLocal(deadline time.Time, recs []wal.Record) (uint64, error) {
	if len(recs) == 0 || len(recs) > maxBatchRecords {
		return 0, fmt.Errorf("%w: a proposal holds 1 to %d records, got %d", ErrInvalidProposal, maxBatchRecords, len(recs))
	}
	term := a.raft.CurrentTerm()
	for i := range recs {
		recs[i].Term = term
	}
	format := a.walFormat()
	frames, err := wal.AppendFrames(make([]byte, 0, 256*len(recs)), recs, format)
	if err != nil {
		return 0, encodeError(err)
	}
	if err := a.fsm.CheckRecords(recs, format); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidProposal, err)
	}
	start := time.Now()
	rev, err := a.merges.propose(deadline, format, frames, len(recs))
	if err == nil {
		a.metrics.observeApply(time.Since(start))
	}
	return rev, err
}

// applyResult reads the FSM's answer for one log.
func applyResult(resp any) (uint64, error) {
	var res fsm.ApplyResult
	switch r := resp.(type) {
	case fsm.ApplyResult:
		res = r
	case *fsm.ApplyResult:
		res = *r
	default:
		return 0, fmt.Errorf("cluster: unexpected FSM response %T", resp)
	}
	if res.Err != nil {
		if errors.Is(res.Err, fsm.ErrStoreFailed) {
			return 0, fmt.Errorf("cluster: apply: %w", res.Err)
		}
		return 0, fmt.Errorf("%w: %w", ErrInvalidProposal, res.Err)
	}
	return res.Revision, nil
}

// applyError classifies a raft.Apply failure: refused before the entry was
// appended (not leader, a leadership transfer under way, the queue full
// until the deadline, raft shut down) or, for anything else (leadership
// lost while committing), an outcome unknown.
func applyError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %w", ErrProposalTimeout, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrShutdown, err)
	}
	return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
}

// leadershipError classifies a failed Barrier or VerifyLeader (the
// leader side of a linearizable read): leadership lost or never held reads
// as ErrNotLeader, so the reader asks the next leader.
func leadershipError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrShutdown, err)
	}
	return fmt.Errorf("cluster: confirm leadership: %w", err)
}

// retryable reports errors for which the proposal certainly did not
// commit and another attempt may succeed: no leader known, not the
// leader, or the leader could not be dialled. (Reads also see the
// leader's answers undecoded: not_leader and no_leader codes.)
func retryable(err error) bool {
	if err == nil {
		return false // the common case: no errors.As walk
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true // the leader we knew is gone; the request was never sent
	}
	if errors.Is(err, ErrNotLeader) || errors.Is(err, ErrNoLeader) {
		return true
	}
	var apiErr *transport.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == transport.CodeNotLeader || apiErr.Code == transport.CodeNoLeader
	}
	return false
}

// leaderClient returns the current leader's HTTP address and its client.
func (a *Agent) leaderClient() (string, *transport.Client, error) {
	addr, err := a.leaderHTTP()
	if err != nil {
		return "", nil, err
	}
	c, err := a.clients.get(addr)
	return addr, c, err
}

// leaderHTTP finds the leader's HTTP address in the gossip meta.
func (a *Agent) leaderHTTP() (string, error) {
	m, err := a.leaderMember()
	return m.meta.HTTPAddr, err
}

// leaderMember is the leader as gossip knows it (its HTTP address and
// capabilities).
func (a *Agent) leaderMember() (member, error) {
	_, id := a.raft.LeaderWithID()
	if id == "" {
		return member{}, ErrNoLeader
	}
	m, ok := a.members.lookup(string(id))
	if !ok || m.meta.HTTPAddr == "" {
		return member{}, fmt.Errorf("%w: leader %s not known in gossip yet", ErrNoLeader, id)
	}
	return m, nil
}
