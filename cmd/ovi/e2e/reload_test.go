//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// TestSighupAppliesIntervalAndInfrastructureToTheRunningLeader: a leader
// reconciling every hour gets SIGHUP with `interval: 1s` and another
// infrastructure file; within the same term it converges to the new file
// and then runs a cycle about every second (counted by summary records).
func TestSighupAppliesIntervalAndInfrastructureToTheRunningLeader(t *testing.T) {
	bin, root := clustertest.Binary(t), repoRoot(t)
	cloud := startSim(t, bin)
	one := infrastructureCopy(t, root, t.TempDir(), cloud.url, 1)
	two := infrastructureCopy(t, root, t.TempDir(), cloud.url, 2)
	n := clustertest.NewNode(t, bin, "hup", "--bootstrap-expect", "1")
	n.Env = simEnv()
	cfgPath := filepath.Join(t.TempDir(), "ovi.yaml")
	writeNodeConfig(t, cfgPath, n.DataDir, "1h", one)
	n.Flags = append(n.Flags, "--config", cfgPath)
	n.Start()
	waitForManaged(t, cloud, 1, 30*time.Second)
	clustertest.WaitFor(t, "the first cycle's summary", 20*time.Second, func() bool { return summaryCount(n.Client) >= 1 })
	st, _ := n.Status()
	before := summaryCount(n.Client)

	writeNodeConfig(t, cfgPath, n.DataDir, "1s", two)
	if err := n.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitForManaged(t, cloud, 2, 30*time.Second)
	begin := time.Now()
	base := summaryCount(n.Client)
	clustertest.WaitForSeen(t, "five cycles at the reloaded 1s interval", 20*time.Second, func() (bool, string) {
		c := summaryCount(n.Client)
		return c >= base+5, fmt.Sprintf("%d summaries since the reload converged", c-base)
	})
	if took := time.Since(begin); took < 3*time.Second {
		t.Errorf("five cycles in %v: faster than a 1s interval", took)
	}
	if after, _ := n.Status(); after.Term != st.Term {
		t.Fatalf("term changed %d → %d: the reload was applied by a new term, not the running one", st.Term, after.Term)
	}
	if before < 1 || !strings.Contains(n.Log(), "reconcile: interval changed") {
		t.Fatalf("summaries before the reload %d; log:\n%s", before, clustertest.Tail(n.Log(), 40))
	}
}

// writeNodeConfig writes a one-node agent config reconciling infra every
// interval.
func writeNodeConfig(t *testing.T, path, dataDir, interval, infra string) {
	t.Helper()
	body := fmt.Sprintf("data_dir: %s\ninterval: %s\ninfrastructure: %s\n", dataDir, interval, infra)
	writeAtomic(t, path, []byte(body))
}

// summaryCount is the number of cycle summaries in the WAL of the agent c
// talks to (-1 if it does not answer).
func summaryCount(c *transport.Client) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindCycleSummary}})
	if err != nil {
		return -1
	}
	return len(res.Records)
}

// TestSighupKeepsDaemonAndDevAgentsReconciling: `ovi daemon` takes its
// settings from flags and `ovi agent -dev` makes its data dir itself; a
// SIGHUP must keep both as they run (no reload failure, no file watch
// dropped), and the dev agent applies a changed interval from --config.
func TestSighupKeepsDaemonAndDevAgentsReconciling(t *testing.T) {
	bin, root := clustertest.Binary(t), repoRoot(t)
	cloud := startSim(t, bin)
	dir := t.TempDir()
	infra := infrastructureCopy(t, root, dir, cloud.url, 1)
	port := clustertest.FreePort(t)
	d := clustertest.NewProc(t, "daemon", dir, bin, "daemon", "-f", infra, "--interval", "1h",
		"--data-dir", filepath.Join(dir, "data"), "--http-port", fmt.Sprint(port))
	d.Env = simEnv()
	d.Start()
	waitForManaged(t, cloud, 1, 30*time.Second)
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, "the daemon's reload", 10*time.Second, func() bool { return strings.Contains(d.Log(), "configuration reloaded") })
	infrastructureCopy(t, root, dir, cloud.url, 2)
	waitForManaged(t, cloud, 2, 30*time.Second)
	if strings.Contains(d.Log(), "reload failed") || strings.Contains(d.Log(), "need a restart") {
		t.Fatalf("the daemon's reload complained:\n%s", clustertest.Tail(d.Log(), 20))
	}

	devPort := clustertest.FreePort(t)
	cfgPath := filepath.Join(t.TempDir(), "dev.yaml")
	writeAtomic(t, cfgPath, []byte("interval: 1h\n"))
	dev := clustertest.NewProc(t, "dev", t.TempDir(), bin, "agent", "-dev", "--config", cfgPath,
		"--http-port", fmt.Sprint(devPort), "--raft-port", fmt.Sprint(clustertest.FreePort(t)), "--gossip-port", fmt.Sprint(clustertest.FreePort(t)))
	dev.Env = simEnv()
	dev.Start()
	devClient, err := transport.NewClient(fmt.Sprintf("127.0.0.1:%d", devPort), transport.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, "the dev agent's first cycle", 30*time.Second, func() bool { return summaryCount(devClient) >= 1 })
	writeAtomic(t, cfgPath, []byte("interval: 1s\n"))
	if err := dev.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	base := summaryCount(devClient)
	clustertest.WaitForSeen(t, "the dev agent cycling every second", 20*time.Second, func() (bool, string) {
		c := summaryCount(devClient)
		return c >= base+4, fmt.Sprint(c-base, " cycles")
	})
	if strings.Contains(dev.Log(), "reload failed") {
		t.Fatalf("the dev agent's reload failed:\n%s", clustertest.Tail(dev.Log(), 20))
	}
}

// TestSighupAppliesRetention: a leader started without retention gets
// SIGHUP with `retention: {history: 1s, interval: 1s}` and compacts in the
// same term under the reloaded policy, logging the change once; a reload
// whose retention cannot hold (audit shorter than history) is refused with
// the key's file:line:col and the running policy keeps compacting.
func TestSighupAppliesRetention(t *testing.T) {
	bin, root := clustertest.Binary(t), repoRoot(t)
	cloud := startSim(t, bin)
	infra := infrastructureCopy(t, root, t.TempDir(), cloud.url, 1)
	n := clustertest.NewNode(t, bin, "ret", "--bootstrap-expect", "1")
	n.Env = simEnv()
	cfgPath := filepath.Join(t.TempDir(), "ovi.yaml")
	writeNodeConfig(t, cfgPath, n.DataDir, "1s", infra)
	n.Flags = append(n.Flags, "--config", cfgPath)
	n.Start()
	clustertest.WaitFor(t, "three cycles", 30*time.Second, func() bool { return summaryCount(n.Client) >= 3 })
	st, _ := n.Status()
	if got := compactionPolicies(n.Client); len(got) != 0 {
		t.Fatalf("compactions without retention: %v", got)
	}

	base := fmt.Sprintf("data_dir: %s\ninterval: 1s\ninfrastructure: %s\n", n.DataDir, infra)
	writeAtomic(t, cfgPath, []byte(base+"retention:\n  history: 1s\n  interval: 1s\n"))
	if err := n.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitForSeen(t, "a compaction by the reloaded retention", 20*time.Second, func() (bool, string) {
		got := compactionPolicies(n.Client)
		return len(got) > 0 && got[0] == "retention history=1s", fmt.Sprint(got)
	})

	writeAtomic(t, cfgPath, []byte(base+"retention:\n  history: 1m\n  audit: 1s\n"))
	if err := n.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	want := cfgPath + ":6:10: retention.audit (1s) is shorter than retention.history (1m)"
	clustertest.WaitFor(t, "the refused reload", 10*time.Second, func() bool { return strings.Contains(n.Log(), want) })
	after := len(compactionPolicies(n.Client))
	clustertest.WaitForSeen(t, "the running policy compacting on", 20*time.Second, func() (bool, string) {
		got := compactionPolicies(n.Client)
		return len(got) >= after+2 && got[len(got)-1] == "retention history=1s", fmt.Sprint(got)
	})
	if now, _ := n.Status(); now.Term != st.Term {
		t.Fatalf("term changed %d → %d", st.Term, now.Term)
	}
	if c := strings.Count(n.Log(), "retention changed"); c != 1 {
		t.Fatalf("%d 'retention changed' lines, want 1:\n%s", c, clustertest.Tail(n.Log(), 40))
	}
}

// compactionPolicies are the policies of the compaction records in the
// WAL of the agent c talks to, oldest first.
func compactionPolicies(c *transport.Client) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindCompaction}})
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(res.Records))
	for _, r := range res.Records {
		if r.Record.Compaction != nil {
			out = append(out, r.Record.Compaction.Policy)
		}
	}
	return out
}
