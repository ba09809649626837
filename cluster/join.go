package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

// Backoff of retry_join and the bootstrap check.
const (
	retryJoinMin      = 500 * time.Millisecond
	retryJoinMax      = 15 * time.Second
	bootstrapInterval = 500 * time.Millisecond
)

// Join contacts gossip addresses (host:port of any agent of the cluster to
// join) and returns how many answered. Idempotent: joining a cluster this
// agent is already in is harmless.
func (a *Agent) Join(addrs []string) (int, error) {
	if len(addrs) == 0 {
		return 0, errors.New("cluster: join needs at least one address")
	}
	n, err := a.members.join(addrs)
	if err != nil {
		return n, err
	}
	a.logger.Info("joined", "addresses", addrs, "contacted", n)
	return n, nil
}

// retryJoin joins retry_join with exponential backoff until one attempt
// succeeds. A duplicate node name is fatal: the agent stops.
func (a *Agent) retryJoin() {
	if len(a.cfg.RetryJoin) == 0 {
		return
	}
	wait := retryJoinMin
	for attempt := 1; ; attempt++ {
		_, err := a.Join(a.cfg.RetryJoin)
		if err == nil {
			return
		}
		if errors.Is(err, ErrDuplicateName) {
			a.fail(err)
			return
		}
		a.logger.Warn("retry_join failed, retrying", "attempt", attempt, "in", wait, "err", err)
		select {
		case <-a.stopCh:
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, retryJoinMax)
	}
}

// bootstrapLoop bootstraps the Raft group, Consul style: once
// bootstrap_expect servers (this one included) are alive in gossip, and
// neither this node nor any of them has Raft state, every one of them
// bootstraps with the same configuration (all of them as voters).
func (a *Agent) bootstrapLoop() {
	if a.cfg.BootstrapExpect == 0 || a.hadState {
		return
	}
	tick := time.NewTicker(bootstrapInterval)
	defer tick.Stop()
	for {
		done, err := a.maybeBootstrap()
		if err != nil {
			a.logger.Warn("bootstrap check", "err", err)
		}
		if done {
			return
		}
		select {
		case <-a.stopCh:
			return
		case <-tick.C:
		case <-a.members.bootstrap:
		}
	}
}

// maybeBootstrap returns true when no further attempt is needed.
func (a *Agent) maybeBootstrap() (bool, error) {
	if a.peerCount() > 0 {
		return true, nil // bootstrapped or added by a leader meanwhile
	}
	var servers []raft.Server
	for _, m := range a.members.list() {
		if m.status == transport.MemberAlive {
			servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.meta.Name), Address: raft.ServerAddress(m.meta.RaftAddr)})
		}
	}
	if len(servers) < a.cfg.BootstrapExpect {
		return false, nil
	}
	for _, m := range a.members.list() {
		if m.meta.Name == a.cfg.NodeName || m.status != transport.MemberAlive {
			continue
		}
		has, err := a.peerHasState(m.meta.HTTPAddr)
		if err != nil {
			return false, fmt.Errorf("ask %s whether it has raft state: %w", m.meta.Name, err)
		}
		if has {
			a.logger.Info("not bootstrapping: a peer already has raft state; waiting to be added", "peer", m.meta.Name)
			return true, nil
		}
	}
	a.logger.Info("bootstrapping raft group", "servers", len(servers))
	if err := a.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return false, fmt.Errorf("cluster: bootstrap: %w", err)
	}
	return true, nil
}

// peerHasState asks a peer's HTTP API whether it has Raft state.
func (a *Agent) peerHasState(httpAddr string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := a.clients.get(httpAddr)
	if err != nil {
		return false, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return false, err
	}
	return st.HasState, nil
}
