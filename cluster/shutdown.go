package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// leaveTimeout bounds the wait for the leader to remove a leaving node.
const leaveTimeout = 15 * time.Second

// Shutdown stops the agent gracefully: it stops serving HTTP, hands
// leadership to another voter if it leads, leaves the gossip pool (peers
// see "left"), stops Raft and closes the store. Safe to call repeatedly.
func (a *Agent) Shutdown(ctx context.Context) error {
	var err error
	a.stopOnce.Do(func() {
		a.lifeMu.Lock()
		close(a.stopCh)
		a.lifeMu.Unlock()
		err = a.shutdown(ctx)
		close(a.doneCh)
	})
	<-a.doneCh
	return err
}

func (a *Agent) shutdown(ctx context.Context) error {
	a.logger.Info("agent shutting down", "node", a.cfg.NodeName)
	var errs []error
	if a.httpSrv != nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := a.httpSrv.Shutdown(sctx); err != nil {
			_ = a.httpSrv.Close()
		}
		cancel()
	}
	if a.raft != nil && a.raft.State() == raft.Leader && a.peerCount() > 1 {
		if err := a.raft.LeadershipTransfer().Error(); err != nil {
			a.logger.Warn("leadership transfer before shutdown failed", "err", err)
		}
	}
	if a.members != nil {
		if err := a.members.leave(); err != nil {
			a.logger.Warn("leaving gossip", "err", err)
		}
	}
	a.wg.Wait()
	errs = append(errs, a.closeResources())
	a.logger.Info("agent stopped", "node", a.cfg.NodeName)
	return errors.Join(errs...)
}

// closeResources stops Raft and closes the stores and listeners that were
// opened (also used when New fails half-way).
func (a *Agent) closeResources() error {
	var errs []error
	if a.raft != nil {
		errs = append(errs, a.raft.Shutdown().Error())
	}
	if a.members != nil {
		errs = append(errs, a.members.shutdown())
	}
	if a.trans != nil {
		errs = append(errs, a.trans.Close())
	}
	if a.httpLn != nil && a.httpSrv == nil {
		_ = a.httpLn.Close()
	}
	if a.clients != nil {
		a.clients.close()
	}
	if a.logStore != nil {
		errs = append(errs, a.logStore.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cluster: shutdown: %w", err)
	}
	return nil
}

// Leave leaves the cluster for good: it hands over leadership if it leads,
// leaves the gossip pool, waits (bounded) until the leader has removed it
// from the Raft configuration, then shuts down.
func (a *Agent) Leave(ctx context.Context) error {
	if !a.leaving.CompareAndSwap(false, true) {
		return nil
	}
	if a.raft.State() == raft.Leader && a.peerCount() > 1 {
		if err := a.raft.LeadershipTransfer().Error(); err != nil {
			a.logger.Warn("leadership transfer before leave failed", "err", err)
		}
	}
	if err := a.members.leave(); err != nil {
		a.logger.Warn("leaving gossip", "err", err)
	}
	a.waitRemoved(ctx)
	return a.Shutdown(ctx)
}

// waitRemoved polls the Raft configuration until this node is gone from it.
func (a *Agent) waitRemoved(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, leaveTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if !a.inConfiguration() || a.peerCount() <= 1 {
			return
		}
		select {
		case <-ctx.Done():
			a.logger.Warn("leave: still in the raft configuration; the leader will remove it when it sees the node left")
			return
		case <-tick.C:
		}
	}
}

// inConfiguration reports whether this node is in the Raft configuration.
func (a *Agent) inConfiguration() bool {
	f := a.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID == raft.ServerID(a.cfg.NodeName) {
			return true
		}
	}
	return false
}

// peerCount is the number of servers in the Raft configuration.
func (a *Agent) peerCount() int {
	f := a.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	return len(f.Configuration().Servers)
}
