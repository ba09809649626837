package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestRaftTimeoutsDefaults(t *testing.T) {
	cfg, err := ParseConfig("ovi.yaml", []byte("data_dir: /x\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := RaftTimeouts{Heartbeat: 400 * time.Millisecond, Election: 400 * time.Millisecond, LeaderLease: 400 * time.Millisecond}
	if got := cfg.Raft.Timeouts(); got != want {
		t.Fatalf("timeouts of a file without a raft block = %+v, want %+v", got, want)
	}
	if got := (RaftConfig{}).Timeouts(); got != DefaultRaftTimeouts() || got != want {
		t.Fatalf("zero RaftConfig timeouts = %+v, want %+v", got, want)
	}
	conf := EngineConfig()
	if conf.HeartbeatTimeout != want.Heartbeat || conf.ElectionTimeout != want.Election || conf.LeaderLeaseTimeout != want.LeaderLease {
		t.Fatalf("EngineConfig timeouts = %s/%s/%s, want %+v", conf.HeartbeatTimeout, conf.ElectionTimeout, conf.LeaderLeaseTimeout, want)
	}
	conf.LocalID = "x"
	if err := raft.ValidateConfig(conf); err != nil {
		t.Fatalf("raft refuses the engine defaults: %v", err)
	}
}

func TestRaftTimeoutsFromFile(t *testing.T) {
	cases := []struct {
		body string
		want RaftTimeouts
	}{
		// heartbeat_timeout alone scales the other two.
		{"raft:\n  heartbeat_timeout: 1s\n", RaftTimeouts{time.Second, time.Second, time.Second}},
		{"raft:\n  heartbeat_timeout: 200ms\n  election_timeout: 1s\n  leader_lease_timeout: 150ms\n",
			RaftTimeouts{200 * time.Millisecond, time.Second, 150 * time.Millisecond}},
		{"raft: {log_store: wal, election_timeout: 2s}\n", RaftTimeouts{400 * time.Millisecond, 2 * time.Second, 400 * time.Millisecond}},
	}
	for _, c := range cases {
		cfg, err := ParseConfig("ovi.yaml", []byte("data_dir: /x\n"+c.body))
		if err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if got := cfg.Raft.Timeouts(); got != c.want {
			t.Errorf("%q: timeouts = %+v, want %+v", c.body, got, c.want)
		}
		conf := EngineConfig()
		cfg.Raft.Timeouts().apply(conf)
		conf.LocalID = "x"
		if err := raft.ValidateConfig(conf); err != nil {
			t.Errorf("%q: raft refuses the timeouts: %v", c.body, err)
		}
	}
}

// TestRaftTimeoutsBadFileValues: each bad value is one line naming the
// file, the line and column of the value, the key and the rule.
func TestRaftTimeoutsBadFileValues(t *testing.T) {
	cases := []struct{ body, at, msg string }{
		{"raft:\n  heartbeat_timeout: 10ms\n", "ovi.yaml:3:22:", "raft.heartbeat_timeout 10ms is out of range (50ms to 60s)"},
		{"raft:\n  election_timeout: 2m\n", "ovi.yaml:3:21:", "raft.election_timeout 2m0s is out of range (50ms to 60s)"},
		{"raft:\n  leader_lease_timeout: 1ms\n", "ovi.yaml:3:25:", "raft.leader_lease_timeout 1ms is out of range (10ms to 1m0s)"},
		{"raft:\n  heartbeat_timeout: 1s\n  election_timeout: 500ms\n", "ovi.yaml:4:21:",
			"raft.election_timeout 500ms must not be shorter than raft.heartbeat_timeout 1s"},
		{"raft:\n  heartbeat_timeout: 300ms\n  leader_lease_timeout: 400ms\n", "ovi.yaml:4:25:",
			"raft.leader_lease_timeout 400ms must not be longer than raft.heartbeat_timeout 300ms"},
		{"raft:\n  leader_lease_timeout: 500ms\n", "ovi.yaml:3:25:",
			"raft.leader_lease_timeout 500ms must not be longer than raft.heartbeat_timeout 400ms"},
		{"raft:\n  election_timeout: 100ms\n", "ovi.yaml:3:21:",
			"raft.election_timeout 100ms must not be shorter than raft.heartbeat_timeout 400ms"},
		{"raft:\n  heartbeat_timeout: -1s\n", "ovi.yaml:3:22:", "raft.heartbeat_timeout -1s is out of range"},
		{"raft:\n  heartbeat_timeout: fast\n", "ovi.yaml:3:22:", `time: invalid duration "fast"`},
		{"interval: soon\n", "ovi.yaml:2:11:", `time: invalid duration "soon"`},
	}
	for _, c := range cases {
		_, err := ParseConfig("ovi.yaml", []byte("data_dir: /x\n"+c.body))
		if err == nil {
			t.Errorf("%q accepted", c.body)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, ErrConfig) || strings.Contains(msg, "\n") || !strings.Contains(msg, c.at) || !strings.Contains(msg, c.msg) {
			t.Errorf("%q: error = %q, want one line with %q and %q", c.body, msg, c.at, c.msg)
		}
	}
}

// TestRaftTimeoutsBadFlags: flags are checked by Validate, which names
// the flag.
func TestRaftTimeoutsBadFlags(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "n1"
	cfg.Raft.HeartbeatTimeout = 2 * time.Second
	cfg.Raft.LeaderLeaseTimeout = 3 * time.Second
	err := cfg.Validate()
	if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "(--raft-leader-lease-timeout)") {
		t.Fatalf("Validate = %v, want the lease named with its flag", err)
	}
	cfg.Raft.LeaderLeaseTimeout = 0
	if err := cfg.Validate(); err != nil {
		t.Fatalf("heartbeat 2s alone: %v", err)
	}
}

// TestAgentRunsWithConfiguredTimeouts: the raft block reaches the engine.
func TestAgentRunsWithConfiguredTimeouts(t *testing.T) {
	cfg := testConfig(t, "solo", 1)
	cfg.Raft.HeartbeatTimeout = 700 * time.Millisecond
	cfg.Raft.ElectionTimeout = 900 * time.Millisecond
	a := startAgent(t, cfg)
	got := a.raft.ReloadableConfig()
	if got.HeartbeatTimeout != 700*time.Millisecond || got.ElectionTimeout != 900*time.Millisecond {
		t.Fatalf("raft runs with heartbeat %s, election %s; want 700ms, 900ms", got.HeartbeatTimeout, got.ElectionTimeout)
	}
}
