//go:build e2e

package e2e

import (
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// After kill -9 of the leader, a follower's members stop calling it
// "alive, leader" as soon as Raft has missed its heartbeats — before any
// new leader is elected, and before gossip's failure detector notices.
func TestMembersShowAKilledLeaderAsSuspectBeforeTheElection(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	f := clustertest.Followers(nodes, l)[0]
	ctx := clustertest.Context(t, 30*time.Second)
	killed := time.Now()
	l.Stop(syscall.SIGKILL)
	var seen transport.Member
	clustertest.WaitForSeen(t, "the killed leader shown as suspect, role unknown", 10*time.Second, func() (bool, string) {
		resp, err := f.Client.Members(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, m := range resp.Members {
			if m.Name != l.Name && m.RaftRole == "leader" {
				t.Fatalf("%s became leader while %s still showed %s as leader (%s after the kill)", m.Name, f.Name, l.Name, time.Since(killed))
			}
			if m.Name == l.Name {
				seen = m
			}
		}
		return seen.Status == transport.MemberSuspect && seen.RaftRole == "unknown", seen.Status + "/" + seen.RaftRole
	})
	t.Logf("%s shown %s, role %s, %s after kill -9", l.Name, seen.Status, seen.RaftRole, time.Since(killed).Round(time.Millisecond))
}
