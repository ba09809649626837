//go:build e2e

package faults

import (
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// lagWindow is how long the simulated EC2 hides a new instance from
// DescribeInstances (its eventual consistency): four reconcile cycles at
// the suite's 1 s interval.
const lagWindow = 4 * time.Second

// summariesAfter counts cycle summaries committed after t.
func summariesAfter(entries []transport.WALEntry, t time.Time) int {
	n := 0
	for _, e := range entries {
		if e.Record.Kind == wal.KindCycleSummary && e.Record.Time.After(t) {
			n++
		}
	}
	return n
}

// waitSettled waits for convergence, then for three more cycles with the
// launched instances visible, so a late second launch would be seen.
func (cl *cluster) waitSettled(l *node, web int) {
	cl.t.Helper()
	cl.waitConverged(l, web, 0, 90*time.Second)
	visible := time.Now().Add(lagWindow)
	waitFor(cl.t, "three cycles after the launches became visible", 60*time.Second, func() bool {
		entries, err := walOf(l, transport.Revision{})
		return err == nil && summariesAfter(entries, visible) >= 3
	})
}

// TestCloudLagsBehindLaunches: EC2's DescribeInstances may not show an
// instance for a while after RunInstances returned it. Ovi must not take
// "not visible yet" for "missing" and launch again, however many cycles
// run meanwhile (triggered cycles can follow each other within seconds).
func TestCloudLagsBehindLaunches(t *testing.T) {
	const want = 3
	bin := binary(t)
	c, _ := startCloudWith(t, ec2sim.Options{Seed: 1, ConsistencyWindow: lagWindow})
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 0})
	l := cl.start()
	cl.write(infra{web: want})
	cl.waitSettled(l, want)
	cl.checkLaunchedOnce(l, "web", want)
}

// TestLeaderKillWhileCloudLags kills the leader after its launch returned
// while EC2 still hides the new instances: the new leader's search by
// decision tag finds nothing, so it resumes the launch with the same
// client token, which EC2 answers with the same instances. Nothing may be
// launched twice, then or in the cycles after.
func TestLeaderKillWhileCloudLags(t *testing.T) {
	cl, l := killLeaderWhileCloudLags(t, "after-call")
	entries := replayCLI(t, cl.bin, l)
	for _, s := range stories(entries) {
		if s.decided.Node == l.name {
			if len(s.executing) != 2 || s.executing[1].Executing.ClientToken != s.executing[0].Executing.ClientToken ||
				s.outcome == nil || s.outcome.Kind != wal.KindExecuted || !s.outcome.Executed.Recovered {
				t.Errorf("want the launch resumed with the same token and recovered; the WAL says:\n%s", s)
			}
		}
	}
}

// checkLaunchedOnce asserts that exactly want instances of group were
// ever launched, and shows the WAL when not.
func (cl *cluster) checkLaunchedOnce(l *node, group string, want int) {
	cl.t.Helper()
	ins := cl.cloud.instances()
	if n := len(idsOfAll(ins, group)); n != want {
		var calls []string
		for _, rq := range cl.cloud.requests() {
			if mutating(rq.Action) {
				calls = append(calls, rq.At.Format("15:04:05.000")+" "+rq.Key+" "+rq.Action+" "+strings.Join(rq.IDs, ","))
			}
		}
		cl.t.Errorf("%d instances of %s launched, want exactly %d (duplicate launches: %d)\nEC2 calls:\n  %s\nWAL:\n%s",
			n, group, want, n-want, strings.Join(calls, "\n  "), replayText(cl.t, cl.bin, l))
	}
}

// TestLeaderKillAfterOutcomeWhileCloudLags kills the leader right after it
// committed a launch's outcome, while EC2 still hides the new instances.
// Nothing is left open, so the new leader recovers nothing; its first
// observation shows the group empty. It must not launch again.
func TestLeaderKillAfterOutcomeWhileCloudLags(t *testing.T) {
	killLeaderWhileCloudLags(t, "after-outcome")
}

// killLeaderWhileCloudLags asks for 3 instances from a cloud that hides
// new ones for lagWindow, kills the leader at failpoint, waits for the new
// leader to settle, restarts the old one and checks that exactly 3 were
// ever launched. It returns the cluster and the killed (restarted) node.
func killLeaderWhileCloudLags(t *testing.T, failpoint string) (*cluster, *node) {
	t.Helper()
	const want = 3
	c, _ := startCloudWith(t, ec2sim.Options{Seed: 1, ConsistencyWindow: lagWindow})
	cl := newCluster(t, binary(t), c, false)
	cl.write(infra{web: 0})
	l := cl.start()
	l.arm(failpoint)
	cl.write(infra{web: want})
	cl.waitDeath(l, 60*time.Second)
	nl := cl.waitLeader(60 * time.Second)
	cl.waitSettled(nl, want)
	cl.restart(l)
	cl.checkLaunchedOnce(nl, "web", want)
	return cl, l
}
