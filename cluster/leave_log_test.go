package cluster

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// lockedBuffer is a log sink several goroutines write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A graceful leave announces itself once: "member left" is logged once
// for the leaver, and announcing again after the pool is left (the
// Shutdown after Leave) no longer times out with a spurious WARN.
func TestLeaveLogsEachEventOnce(t *testing.T) {
	a1 := startAgent(t, testConfig(t, "n1", 3))
	a2 := startAgent(t, testConfig(t, "n2", 3, a1.GossipAddr()))
	var logs lockedBuffer
	cfg := testConfig(t, "n3", 3, a1.GossipAddr())
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", "n3")
	a3 := startAgent(t, cfg)
	agents := []*Agent{a1, a2, a3}
	waitFor(t, "a leader with three voters", 20*time.Second, func() bool {
		l := leaderOf(agents)
		return l != nil && l.peerCount() == 3 && l.readyTerm.Load() != 0
	})
	if err := a3.Leave(context.Background()); err != nil {
		t.Fatalf("leave: %v", err)
	}
	out := logs.String()
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `msg="member left"`) && strings.Contains(line, " member=n3 ") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the leaver logged its own leave %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "timeout waiting for update broadcast") || strings.Contains(out, "announcing leave") {
		t.Errorf("spurious warning at leave:\n%s", out)
	}
}

func TestMembersShowALeaderOutOfContactAsSuspect(t *testing.T) {
	now := time.Now()
	silence := leaderSilence(DefaultHeartbeatTimeout)
	if silence >= DefaultHeartbeatTimeout {
		t.Fatalf("leaderSilence %s: want under the heartbeat timeout %s, which is when a follower may campaign", silence, DefaultHeartbeatTimeout)
	}
	if leaderContactLost(time.Time{}, now, silence) || leaderContactLost(now.Add(-silence/2), now, silence) || !leaderContactLost(now.Add(-2*silence), now, silence) {
		t.Fatal("leaderContactLost: want lost only past the silence since a real contact")
	}
	leader := transport.Member{Name: "n1", Status: transport.MemberAlive, RaftRole: "leader", Voter: true}
	if got := unreachedLeader(leader, false); got != leader {
		t.Fatalf("in contact: %+v", got)
	}
	got := unreachedLeader(leader, true)
	if got.Status != transport.MemberSuspect || got.RaftRole != "unknown" || !got.Voter {
		t.Fatalf("out of contact: %+v, want suspect, role unknown", got)
	}
	failed := leader
	failed.Status = transport.MemberFailed
	if got := unreachedLeader(failed, true); got.Status != transport.MemberFailed {
		t.Fatalf("gossip already says failed: %+v", got)
	}
}
