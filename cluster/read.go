package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

// Read consistency tuning.
const (
	// MaxStaleness bounds how long ago a follower may have heard from the
	// leader and still answer a default-consistency read locally.
	MaxStaleness = 2 * time.Second
	readTimeout  = 10 * time.Second
	// maxGapScan bounds the log entries inspected while waiting for a read
	// index that may end in entries the FSM never sees (no-ops, barriers).
	maxGapScan = 64
	applyPoll  = 2 * time.Millisecond
)

// ReadBarrier makes the local FSM fit for a read at the given level:
//
//   - stale: nothing; the local state may lag the leader by any amount
//     (it is still a consistent prefix of the log).
//   - default: allowed on the leader, or on a follower that heard from the
//     leader within MaxStaleness; else CodeStale (or CodeNoLeader). The
//     answer lags the leader by at most about MaxStaleness plus the apply
//     delay; a leader deposed by a partition may serve for up to its lease.
//   - consistent: linearizable. The node obtains the leader's commit index
//     (the leader confirms its leadership with VerifyLeader after reading
//     it; a new leader first commits an entry of its own term) and waits
//     until its FSM has applied that index, so the read reflects every
//     write acknowledged before the read started.
func (a *Agent) ReadBarrier(ctx context.Context, level transport.Consistency) error {
	switch level {
	case transport.Stale:
		return nil
	case transport.Consistent:
		ctx, cancel := context.WithTimeout(ctx, readTimeout)
		defer cancel()
		idx, err := a.readIndex(ctx)
		if err != nil {
			return err
		}
		return a.waitApplied(ctx, idx)
	}
	return a.checkFresh()
}

// checkFresh implements the default level.
func (a *Agent) checkFresh() error {
	if a.raft.State() == raft.Leader {
		return nil
	}
	if addr, _ := a.raft.LeaderWithID(); addr == "" {
		return transport.Errorf(transport.CodeNoLeader, "%v; read local state with --consistency stale (API: ?consistency=stale)", ErrNoLeader)
	}
	if age := time.Since(a.raft.LastContact()); age > MaxStaleness {
		return transport.Errorf(transport.CodeStale, "last contact with the leader %s ago (bound %s); read local state with --consistency stale (API: ?consistency=stale)", age.Round(time.Millisecond), MaxStaleness)
	}
	return nil
}

// readIndex returns a commit index confirmed by the leader. Concurrent
// callers share rounds (see readBatcher).
func (a *Agent) readIndex(ctx context.Context) (uint64, error) {
	for {
		leader := a.leaders.next()
		idx, err := a.readBatch.get(ctx, a.readIndexOnce)
		if err == nil {
			return idx, nil
		}
		var apiErr *transport.APIError
		if !retryable(err) && errors.As(err, &apiErr) {
			return 0, err // network errors are retried: asking for the index is idempotent
		}
		select {
		case <-ctx.Done():
			return 0, transport.Errorf(transport.CodeTimeout, "consistent read: %v (last error: %v)", ctx.Err(), err)
		case <-leader:
		case <-time.After(noLeaderRetry):
		}
	}
}

// readIndexOnce asks the leader (or, leading, itself) once.
func (a *Agent) readIndexOnce(ctx context.Context) (uint64, error) {
	if a.raft.State() == raft.Leader {
		res, err := a.leaderReadIndex()
		return res.Index, err
	}
	_, leader, err := a.leaderClient()
	if err != nil {
		return 0, err
	}
	res, err := leader.ReadIndex(ctx)
	return res.Index, err
}

// leaderReadIndex is the leader's side: the commit index, read before
// confirming leadership with a round of heartbeats (VerifyLeader). Until
// the leader has committed an entry of its own term its commit index may
// lag, so it first waits for its Barrier.
func (a *Agent) leaderReadIndex() (transport.ReadIndexResponse, error) {
	term := a.raft.CurrentTerm()
	if a.readyTerm.Load() != term {
		if err := a.raft.Barrier(readTimeout).Error(); err != nil {
			return transport.ReadIndexResponse{}, leadershipError(err)
		}
	}
	idx := a.raft.CommitIndex()
	if err := a.raft.VerifyLeader().Error(); err != nil {
		return transport.ReadIndexResponse{}, leadershipError(err)
	}
	return transport.ReadIndexResponse{Index: idx, Term: term}, nil
}

// waitApplied waits until the FSM reflects every entry up to idx. The
// store's applied index only moves on entries the FSM sees; no-op and
// barrier entries never reach it, so once Raft has handed everything up to
// idx to the FSM and the entries after the store's index are all of that
// kind, the state is complete.
func (a *Agent) waitApplied(ctx context.Context, idx uint64) error {
	for {
		changed := a.store.Changed()
		applied, _ := a.store.AppliedIndex()
		if applied >= idx || (a.raft.AppliedIndex() >= idx && a.onlyNonFSM(applied+1, idx)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return transport.Errorf(transport.CodeTimeout, "waiting to apply index %d (applied %d): %v", idx, applied, ctx.Err())
		case <-a.stopCh:
			return ErrShutdown
		case <-changed:
		case <-time.After(applyPoll):
		}
	}
}

// onlyNonFSM reports whether every log in [from, to] is one the FSM never
// sees. Logs at or below the latest snapshot are covered by it: the FSM
// either applied past them or restored that snapshot (after a restore the
// store's applied index is the one recorded in the snapshot's data, older
// than the Raft index the snapshot was installed at). Logs no longer in the
// log store are covered the same way.
func (a *Agent) onlyNonFSM(from, to uint64) bool {
	if snaps, err := a.snapshots.List(); err == nil && len(snaps) > 0 {
		from = max(from, snaps[0].Index+1)
	}
	if to < from || to-from >= maxGapScan {
		return to < from
	}
	for i := from; i <= to; i++ {
		var l raft.Log
		if err := a.logStore.GetLog(i, &l); err != nil {
			if errors.Is(err, raft.ErrLogNotFound) {
				continue
			}
			return false
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return false
		}
	}
	return true
}
