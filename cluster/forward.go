package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
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

// Propose commits records as one wal.Batch (one Raft entry, so one
// revision) and returns its revision. Any node accepts proposals: a
// follower forwards them to the leader's HTTP API, so callers never need
// to find the leader. Records without a Time get this node's clock; Node
// is set to this node's name when empty (callers are this process: its
// reconcile engine and its API handlers); the leader stamps its current
// Term. On the leader, a follower's forwarded records get the follower's
// authenticated name and a time within recordTimeWindow of the leader's
// clock (see stampForwarded). Proposals are not merged: raft's own batching (MaxAppendEntries,
// BatchingFSM) groups concurrent ones into one fsync.
//
// While no leader is known (an election), Propose waits and retries until
// ctx ends. A proposal whose outcome is unknown (leadership lost after the
// entry was appended) is NOT retried, and fails with a CodeUnavailable error.
func (a *Agent) Propose(ctx context.Context, recs []wal.Record) (uint64, error) {
	batch, err := a.prepare(recs)
	if err != nil {
		return 0, err
	}
	for {
		rev, err := a.proposeOnce(ctx, batch)
		if !retryable(err) {
			return rev, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("cluster: propose: %w (last error: %w)", ctx.Err(), err)
		case <-a.stopCh:
			return 0, ErrShutdown
		case <-time.After(noLeaderRetry):
		}
	}
}

// prepare copies and validates the records.
func (a *Agent) prepare(recs []wal.Record) ([]wal.Record, error) {
	if len(recs) == 0 || len(recs) > maxBatchRecords {
		return nil, transport.Errorf(transport.CodeBadRequest, "a proposal holds 1 to %d records, got %d", maxBatchRecords, len(recs))
	}
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
		if err := out[i].Validate(); err != nil {
			return nil, transport.Errorf(transport.CodeBadRequest, "record %d: %v", i, err)
		}
	}
	return out, nil
}

// proposeOnce applies locally when leading, else forwards to the leader.
func (a *Agent) proposeOnce(ctx context.Context, recs []wal.Record) (uint64, error) {
	if a.raft.State() == raft.Leader {
		return a.applyLocal(ctx, recs)
	}
	leader, err := a.leaderClient()
	if err != nil {
		return 0, err
	}
	res, err := leader.Propose(ctx, transport.ProposeRequest{Records: recs})
	return res.Revision, err
}

// applyLocal stamps the term and applies the batch through Raft.
func (a *Agent) applyLocal(ctx context.Context, recs []wal.Record) (uint64, error) {
	term := a.raft.CurrentTerm()
	for i := range recs {
		recs[i].Term = term
	}
	data, err := wal.EncodeBatchAs(&wal.Batch{Records: recs}, a.walFormat())
	if err != nil {
		return 0, encodeError(err)
	}
	timeout := defaultApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	start := time.Now()
	f := a.raft.Apply(data, timeout)
	if err := f.Error(); err != nil {
		return 0, applyError(err)
	}
	a.metrics.observeApply(time.Since(start))
	return applyResult(f.Response())
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
		return 0, transport.Errorf(transport.CodeInternal, "unexpected FSM response %T", resp)
	}
	if res.Err != nil {
		if errors.Is(res.Err, fsm.ErrStoreFailed) {
			return 0, transport.Errorf(transport.CodeInternal, "%v", res.Err)
		}
		return 0, transport.Errorf(transport.CodeBadRequest, "%v", res.Err)
	}
	return res.Revision, nil
}

// applyError classifies a raft.Apply failure: "not leader" means the entry
// was never appended (safe to retry elsewhere); anything else leaves the
// outcome unknown.
func applyError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		return transport.Errorf(transport.CodeNotLeader, "%v", err)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return transport.Errorf(transport.CodeTimeout, "%v (not applied)", err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return transport.Errorf(transport.CodeUnavailable, "%v", err)
	}
	return transport.Errorf(transport.CodeUnavailable, "%v (outcome unknown: the entry may still commit)", err)
}

// retryable reports errors for which the proposal certainly did not
// commit and another attempt may succeed: no leader known, a follower
// answered not_leader, or the leader could not be dialled.
func retryable(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true // the leader we knew is gone; the request was never sent
	}
	var apiErr *transport.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == transport.CodeNotLeader || apiErr.Code == transport.CodeNoLeader
	}
	return errors.Is(err, ErrNoLeader)
}

// leaderClient returns an HTTP client of the current leader.
func (a *Agent) leaderClient() (*transport.Client, error) {
	addr, err := a.leaderHTTP()
	if err != nil {
		return nil, err
	}
	return a.clients.get(addr), nil
}

// leaderHTTP finds the leader's HTTP address in the gossip meta.
func (a *Agent) leaderHTTP() (string, error) {
	_, id := a.raft.LeaderWithID()
	if id == "" {
		return "", transport.Errorf(transport.CodeNoLeader, "%v", ErrNoLeader)
	}
	m, ok := a.members.lookup(string(id))
	if !ok {
		return "", transport.Errorf(transport.CodeNoLeader, "leader %s not known in gossip yet", id)
	}
	return m.meta.HTTPAddr, nil
}

// clientPool caches one API client per peer HTTP address. Node-to-node
// calls (write forwarding, read index, bootstrap checks) carry this node's
// acl.write_token and, with TLS, present the node certificate and verify
// the peer's against the cluster CA and the peer's advertised address.
type clientPool struct {
	token   string
	tls     *tls.Config
	mu      sync.Mutex
	clients map[string]*transport.Client
}

func newClientPool(token string, tlsConf *tls.Config) *clientPool {
	return &clientPool{token: token, tls: tlsConf, clients: map[string]*transport.Client{}}
}

func (p *clientPool) get(addr string) *transport.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok {
		return c
	}
	c, err := transport.NewClient(addr, transport.ClientOptions{Token: p.token, TLS: p.tls, Timeout: defaultApplyTimeout + 2*time.Second})
	if err != nil {
		c, _ = transport.NewClient("127.0.0.1:1", transport.ClientOptions{})
	}
	p.clients[addr] = c
	return c
}
