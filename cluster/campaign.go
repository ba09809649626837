package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// ErrLogUnwritable is the refusal of a vote request this node would send
// while its Raft log does not accept appends (see campaignGate).
var ErrLogUnwritable = errors.New("cluster: not campaigning: this node's raft log does not accept appends")

// appendHealth remembers the last failed append to this node's Raft log
// until an append succeeds. A node whose log cannot be written (a full
// disk, a file-size limit) must not lead: as leader it steps down at its
// first append, and without this it would campaign first and win again —
// its peers still count it as their leader and grant it their pre-vote —
// for as long as the disk stays full (10 terms, 6.6 s in one run of
// cluster/faults TestLeaderDiskFull).
type appendHealth struct {
	hold   time.Duration // how long a failure blocks campaigns without another one
	now    func() time.Time
	logger *slog.Logger

	mu       sync.Mutex
	err      error     // the last failure; nil once an append succeeded
	failedAt time.Time // when it happened
}

func newAppendHealth(hold time.Duration, logger *slog.Logger) *appendHealth {
	return &appendHealth{hold: hold, now: time.Now, logger: logger}
}

// record notes the outcome of an append to the log.
func (h *appendHealth) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		if h.err != nil {
			h.logger.Info("raft log accepts appends again; this node may campaign for leadership")
		}
		h.err = nil
		return
	}
	if h.err == nil {
		h.logger.Warn("raft log append failed; this node will not campaign for leadership until an append succeeds",
			"error", err, "hold", h.hold)
	}
	h.err, h.failedAt = err, h.now()
}

// blocked is the reason this node may not campaign now, or nil. A failure
// blocks for hold after it happened: while the disk stays full, the
// leader's appends to this follower keep failing and keep it blocked; a
// node no one else can replace (its peers down) campaigns again after
// hold, instead of never.
func (h *appendHealth) blocked() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil || h.now().Sub(h.failedAt) >= h.hold {
		return nil
	}
	return fmt.Errorf("%w (last failure %s ago: %w)", ErrLogUnwritable, h.now().Sub(h.failedAt).Round(time.Millisecond), h.err)
}

// campaignHold is how long a failed append blocks campaigns: ten heartbeat
// timeouts, ten chances for the others to elect one of themselves.
func campaignHold(heartbeat time.Duration) time.Duration { return 10 * heartbeat }

// healthLogStore is the log store Raft writes through: every append's
// outcome goes to the appendHealth.
type healthLogStore struct {
	LogStore
	health *appendHealth
}

// StoreLog appends one entry.
func (s healthLogStore) StoreLog(l *raft.Log) error {
	err := s.LogStore.StoreLog(l)
	s.health.record(err)
	return err
}

// StoreLogs appends entries.
func (s healthLogStore) StoreLogs(ls []*raft.Log) error {
	err := s.LogStore.StoreLogs(ls)
	s.health.record(err)
	return err
}

// IsMonotonic passes raft-wal's promise on (raft.MonotonicLogStore: after
// a snapshot install Raft then deletes the whole log).
func (s healthLogStore) IsMonotonic() bool {
	m, ok := s.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

// campaignGate is the Raft transport, but a vote or pre-vote request this
// node would send while its log is blocked fails at once: it cannot win an
// election it cannot serve. Requests from others, replication and
// snapshots are untouched.
type campaignGate struct {
	*raft.NetworkTransport
	health *appendHealth
}

// RequestVote sends a vote request unless this node's log is blocked.
func (g campaignGate) RequestVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestVoteRequest, resp *raft.RequestVoteResponse) error {
	if err := g.health.blocked(); err != nil {
		return err
	}
	return g.NetworkTransport.RequestVote(id, target, args, resp)
}

// RequestPreVote sends a pre-vote request unless this node's log is blocked.
func (g campaignGate) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	if err := g.health.blocked(); err != nil {
		return err
	}
	return g.NetworkTransport.RequestPreVote(id, target, args, resp)
}
