package cluster

import (
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Raft timing: the raft block's heartbeat_timeout, election_timeout and
// leader_lease_timeout (docs/operations.md, "Failover and the Raft
// timeouts").
//
// hashicorp/raft's defaults are 1 s, 1 s and 500 ms. With them a kill -9
// of the leader costs about 2 s (docs/benchmarks.md, "Failover"): a
// follower checks its last contact with the leader on a timer of
// heartbeat_timeout plus up to as much again, so it notices the silence
// 1–2 heartbeat timeouts after it began; and the election needs a second
// voter, which refuses pre-votes and votes while it still knows a leader
// (leader stickiness), i.e. until its own timer has fired too. The gap is
// therefore the later of the two survivors' detections, about twice the
// heartbeat timeout at the median. etcd (100 ms heartbeats, 1 s election
// timeout) grants votes one election timeout after the last heartbeat and
// fails over in about 1.1 s on the same machine.
//
// 400 ms puts Ovi's median gap below that (about 0.8 s of election and
// under 0.1 s for the first commit) while a node that is silent for less
// than about 0.8 of it — a GC pause, a slow fsync of the store, a
// scheduler stall on a loaded machine — keeps its role. Heartbeats go out
// every heartbeat_timeout/10 to /5 (40–80 ms), so a follower elects only
// after five or more of them were lost in a row.
//
// The lease is the heartbeat timeout (hashicorp/raft's default is half of
// it): a leader stalled for less than the heartbeat timeout must not step
// down either, or a 250 ms stall of the leader would cost an election that
// the same stall of a follower does not. A leader cut off from its quorum
// steps down one to two leases after its last contact, while the majority
// elects one to two heartbeat timeouts after it; the deposed leader cannot
// commit meanwhile (no intent, so no cloud call, and no write is
// acknowledged), and default-consistency reads already allow 2 s of
// staleness (MaxStaleness). etcd's check-quorum leader steps down after
// one election timeout, the same rule.
const (
	DefaultHeartbeatTimeout   = 400 * time.Millisecond
	DefaultElectionTimeout    = 400 * time.Millisecond
	DefaultLeaderLeaseTimeout = 400 * time.Millisecond

	// Bounds of the settings. Below 50 ms a heartbeat goes out every
	// 5 ms and a scheduler hiccup elects; above 60 s a dead leader
	// stalls writes for minutes.
	minRaftTimeout   = 50 * time.Millisecond
	maxRaftTimeout   = 60 * time.Second
	minLeaseTimeout  = 10 * time.Millisecond
	raftTimeoutRange = "50ms to 60s"
)

// RaftTimeouts are the three timing settings of the engine. A zero field
// is its default.
type RaftTimeouts struct {
	Heartbeat   time.Duration
	Election    time.Duration
	LeaderLease time.Duration
}

// DefaultRaftTimeouts are the timeouts every agent runs with unless its
// raft block says otherwise.
func DefaultRaftTimeouts() RaftTimeouts {
	return RaftTimeouts{Heartbeat: DefaultHeartbeatTimeout, Election: DefaultElectionTimeout, LeaderLease: DefaultLeaderLeaseTimeout}
}

// Timeouts are the raft block's timeouts, a default for each one unset.
// Unset, the election timeout and the lease are the heartbeat timeout, so
// heartbeat_timeout alone scales all three, as Consul's raft_multiplier
// does.
func (r RaftConfig) Timeouts() RaftTimeouts {
	t := RaftTimeouts{Heartbeat: r.HeartbeatTimeout, Election: r.ElectionTimeout, LeaderLease: r.LeaderLeaseTimeout}
	if t.Heartbeat == 0 {
		t.Heartbeat = DefaultHeartbeatTimeout
	}
	if t.Election == 0 {
		t.Election = t.Heartbeat
	}
	if t.LeaderLease == 0 {
		t.LeaderLease = t.Heartbeat
	}
	return t
}

// apply sets the timeouts on conf.
func (t RaftTimeouts) apply(conf *raft.Config) {
	conf.HeartbeatTimeout = t.Heartbeat
	conf.ElectionTimeout = t.Election
	conf.LeaderLeaseTimeout = t.LeaderLease
}

// checkTimeouts returns the key of the first bad timeout in the raft
// block (heartbeat_timeout, election_timeout, leader_lease_timeout) and
// what is wrong with it; "" when they are all right.
func (r RaftConfig) checkTimeouts() (string, error) {
	set := []struct {
		key string
		v   time.Duration
		min time.Duration
	}{
		{"heartbeat_timeout", r.HeartbeatTimeout, minRaftTimeout},
		{"election_timeout", r.ElectionTimeout, minRaftTimeout},
		{"leader_lease_timeout", r.LeaderLeaseTimeout, minLeaseTimeout},
	}
	for _, s := range set {
		if s.v != 0 && (s.v < s.min || s.v > maxRaftTimeout) {
			want := raftTimeoutRange
			if s.min != minRaftTimeout {
				want = s.min.String() + " to " + maxRaftTimeout.String()
			}
			return s.key, fmt.Errorf("raft.%s %s is out of range (%s)", s.key, s.v, want)
		}
	}
	t := r.Timeouts()
	if t.Election < t.Heartbeat {
		return "election_timeout", fmt.Errorf("raft.election_timeout %s must not be shorter than raft.heartbeat_timeout %s", t.Election, t.Heartbeat)
	}
	if t.LeaderLease > t.Heartbeat {
		return "leader_lease_timeout", fmt.Errorf("raft.leader_lease_timeout %s must not be longer than raft.heartbeat_timeout %s (a leader cut off must step down before its followers elect another)", t.LeaderLease, t.Heartbeat)
	}
	return "", nil
}
