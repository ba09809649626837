package cluster

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

// Leader loop timing.
const (
	barrierTimeout    = 30 * time.Second
	reconcileInterval = 5 * time.Second
	membershipTimeout = 10 * time.Second
)

// monitorLeadership watches Raft's leadership notifications and runs one
// leaderLoop per term in which this node leads, with a stop channel closed
// when leadership is lost (Consul's monitorLeadership).
func (a *Agent) monitorLeadership() {
	var stop chan struct{}
	var wg sync.WaitGroup
	end := func() {
		if stop != nil {
			close(stop)
			wg.Wait()
			stop = nil
		}
	}
	defer end()
	for {
		select {
		case <-a.stopCh:
			return
		case isLeader := <-a.notifyCh:
			if !isLeader {
				end()
				a.logger.Info("leadership lost", "node", a.cfg.NodeName)
				continue
			}
			if stop != nil {
				continue
			}
			stop = make(chan struct{})
			wg.Add(1)
			go func(stop chan struct{}) {
				defer wg.Done()
				a.leaderLoop(stop)
			}(stop)
		}
	}
}

// leaderLoop is one term of leadership: Barrier first (the FSM then holds
// every entry of earlier terms), then the reconciler's Lead with a context
// canceled when leadership ends, and membership reconciliation until stop.
func (a *Agent) leaderLoop(stop chan struct{}) {
	term := a.raft.CurrentTerm()
	if !a.barrier(stop) {
		return
	}
	a.readyTerm.Store(term)
	defer a.readyTerm.Store(0)
	a.logger.Info("leadership established", "node", a.cfg.NodeName, "term", term)
	ctx, cancel := context.WithCancel(context.Background())
	var hook sync.WaitGroup
	hook.Add(2)
	go func() {
		defer hook.Done()
		a.recordLeadership(ctx, term)
	}()
	go func() {
		defer hook.Done()
		a.retentionLoop(ctx)
	}()
	hook.Add(1)
	go func() {
		defer hook.Done()
		a.notifier.Run(ctx)
	}()
	if a.rec != nil {
		hook.Add(1)
		go func() {
			defer hook.Done()
			a.rec.Lead(ctx)
		}()
	}
	defer func() {
		cancel()
		hook.Wait()
	}()
	tick := time.NewTicker(reconcileInterval)
	defer tick.Stop()
	for {
		a.reconcileMembers()
		select {
		case <-stop:
			return
		case <-tick.C:
		case <-a.members.changed:
		}
	}
}

// barrier retries raft.Barrier until it succeeds or stop is closed.
func (a *Agent) barrier(stop chan struct{}) bool {
	for {
		err := a.raft.Barrier(barrierTimeout).Error()
		if err == nil {
			return true
		}
		a.logger.Warn("leader barrier failed", "err", err)
		select {
		case <-stop:
			return false
		case <-time.After(time.Second):
		}
	}
}

// reconcileMembers makes the Raft configuration follow gossip: every alive
// Ovi server becomes a voter; a server that left gracefully is removed. A
// failed server stays a voter until an operator removes it with
// `ovi operator raft remove-peer`: removing servers automatically on
// failure would shrink the quorum during a partition, letting a minority
// that still sees itself as healthy remove the majority it cannot reach,
// and would churn the configuration on every transient failure.
func (a *Agent) reconcileMembers() {
	f := a.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		a.logger.Warn("reconcile members: read raft configuration", "err", err)
		return
	}
	current := map[raft.ServerID]raft.Server{}
	for _, s := range f.Configuration().Servers {
		current[s.ID] = s
	}
	for _, m := range a.members.list() {
		a.reconcileMember(m, current)
	}
}

func (a *Agent) reconcileMember(m member, current map[raft.ServerID]raft.Server) {
	id := raft.ServerID(m.meta.Name)
	srv, in := current[id]
	switch m.status {
	case transport.MemberAlive:
		if in && srv.Address == raft.ServerAddress(m.meta.RaftAddr) && srv.Suffrage == raft.Voter {
			return
		}
		a.logger.Info("adding raft voter", "id", id, "addr", m.meta.RaftAddr)
		if err := a.raft.AddVoter(id, raft.ServerAddress(m.meta.RaftAddr), 0, membershipTimeout).Error(); err != nil {
			a.logger.Warn("add voter", "id", id, "err", err)
		}
	case transport.MemberLeft:
		if !in || m.meta.Name == a.cfg.NodeName {
			return
		}
		a.logger.Info("removing raft server that left", "id", id)
		if err := a.raft.RemoveServer(id, 0, membershipTimeout).Error(); err != nil {
			a.logger.Warn("remove server", "id", id, "err", err)
		}
	}
}
