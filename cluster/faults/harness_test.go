//go:build e2e

// Package faults is Ovi's fault suite: real `ovi agent` processes, each on
// its own loopback address (127.0.0.2, .3, .4), an EC2 simulator process
// (`ovi ec2sim --state FILE`) behind a recording HTTP proxy, real kill -9
// at named points of execution (OVI_FAILPOINT / OVI_FAILPOINT_FILE, see
// cmd/ovi/internal/engine/failpoint.go) and fault-injecting TCP proxies in front of the
// Raft ports for partitions. docs/reliability.md lists what each test
// promises and measured. The binary comes from $OVI_BIN (make e2e builds
// it); without it the test builds one.
package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// binary returns the ovi binary to test ($OVI_BIN, or one built now).
func binary(t *testing.T) string { return clustertest.Binary(t) }

// nodeIP is the loopback address node i binds (127.0.0.2, .3, .4).
func nodeIP(i int) string { return fmt.Sprintf("127.0.0.%d", i+2) }

// proxyIP is the loopback address node i advertises when its traffic goes
// through proxies (127.0.1.2, .3, .4).
func proxyIP(i int) string { return fmt.Sprintf("127.0.1.%d", i+2) }

// node is one agent process (the harnesses' shared process core,
// clustertest.Proc: its log, running state, kill and signals): its
// addresses, ports, data dir and the environment it is started with.
type node struct {
	*clustertest.Proc
	t       *testing.T
	bin     string
	name    string
	bindIP  string
	advIP   string
	dataDir string
	http    int
	raft    int
	gossip  int
	flags   []string // extra agent flags
	env     []string // environment of every start (credentials)
	fpFile  string   // OVI_FAILPOINT_FILE of this node
	client  *transport.Client
}

func newNode(t *testing.T, bin string, i int, behindProxy bool) *node {
	t.Helper()
	n := &node{t: t, bin: bin, name: fmt.Sprintf("ovi-%d", i+1), bindIP: nodeIP(i), advIP: nodeIP(i), dataDir: t.TempDir()}
	logDir := t.TempDir()
	n.Proc = clustertest.NewProc(t, n.name, logDir)
	// Through a pipe, not the file itself: a disk fault on the process
	// (RLIMIT_FSIZE) must not silence its log.
	n.LogViaPipe = true
	ips := []string{n.bindIP}
	if behindProxy {
		n.advIP = proxyIP(i)
		ips = append(ips, n.advIP)
	}
	// Each port free on the node's own address and, in partition tests,
	// its proxy's (claimed below the ephemeral range, see clustertest).
	n.http, n.raft, n.gossip = clustertest.FreePortOn(t, false, ips...), clustertest.FreePortOn(t, false, ips...), clustertest.FreePortOn(t, true, ips...)
	n.fpFile = filepath.Join(logDir, "failpoint")
	n.env = []string{
		"AWS_ACCESS_KEY_ID=" + accessKey(n.name), "AWS_SECRET_ACCESS_KEY=fault-suite-secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"OVI_FAILPOINT_FILE=" + n.fpFile,
	}
	c, err := transport.NewClient(n.httpAddr(), transport.ClientOptions{Timeout: 5 * time.Second, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n.client = c
	return n
}

// accessKey is the AWS access key id a node signs with, so the simulator
// proxy can tell which node made a call.
func accessKey(name string) string {
	return "AKIAFAULT" + strings.ToUpper(strings.ReplaceAll(name, "-", ""))
}

func (n *node) httpAddr() string   { return net.JoinHostPort(n.bindIP, strconv.Itoa(n.http)) }
func (n *node) gossipAddr() string { return net.JoinHostPort(n.advIP, strconv.Itoa(n.gossip)) }

func (n *node) args() []string {
	a := []string{n.bin, "agent", "--node-name", n.name, "--data-dir", n.dataDir,
		"--bind-addr", n.bindIP, "--advertise-addr", n.advIP,
		"--http-port", strconv.Itoa(n.http), "--raft-port", strconv.Itoa(n.raft), "--gossip-port", strconv.Itoa(n.gossip)}
	return append(a, n.flags...)
}

// start launches the agent with extraEnv added to the node's environment.
// Its output goes to a log file of this start, shown when the test fails;
// the test's cleanup kills it.
func (n *node) start(extraEnv ...string) {
	n.t.Helper()
	n.Args = n.args()
	n.Env = append(append(os.Environ(), n.env...), extraEnv...)
	n.Start() // clustertest.Proc's: fails the test if it cannot start
}

// arm writes spec ("after-call", "after-intent:2", "" to disarm) to the
// node's failpoint file; the agent reads it at every failpoint hit.
func (n *node) arm(spec string) {
	n.t.Helper()
	tmp := n.fpFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(spec), 0o600); err != nil {
		n.t.Fatal(err)
	}
	if err := os.Rename(tmp, n.fpFile); err != nil {
		n.t.Fatal(err)
	}
}

// waitFor polls cond every 25 ms until it holds or d passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	clustertest.WaitFor(t, what, d, cond)
}

// status returns a node's status, or false if it does not answer.
func (n *node) status() (transport.StatusResponse, bool) {
	if !n.Running() {
		return transport.StatusResponse{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := n.client.Status(ctx)
	return st, err == nil
}

// leader returns the running node that leads with all voters in place.
func leader(nodes []*node, voters int) *node {
	for _, n := range nodes {
		st, ok := n.status()
		if ok && st.State == "Leader" && len(st.Peers) == voters {
			return n
		}
	}
	return nil
}

// caughtUp reports whether every running node has applied at least what
// the leader had committed when asked.
func caughtUp(nodes []*node, l *node) bool {
	lst, ok := l.status()
	if !ok {
		return false
	}
	for _, n := range nodes {
		st, ok := n.status()
		if !ok || st.AppliedIndex < lst.CommitIndex {
			return false
		}
	}
	return true
}

// cluster is three agents and the cloud they reconcile.
type cluster struct {
	t     *testing.T
	bin   string
	nodes []*node
	cloud *cloud
	infra string // the shared infrastructure.yaml
}

// newCluster prepares (does not start) three agents with bootstrap_expect
// 3 that reconcile infra every second against the cloud.
func newCluster(t *testing.T, bin string, c *cloud, behindProxy bool) *cluster {
	t.Helper()
	cl := &cluster{t: t, bin: bin, cloud: c, infra: filepath.Join(t.TempDir(), "infrastructure.yaml")}
	for i := range 3 {
		cl.nodes = append(cl.nodes, newNode(t, bin, i, behindProxy))
	}
	for _, n := range cl.nodes {
		n.flags = []string{"--bootstrap-expect", "3", "--infrastructure", cl.infra, "--interval", "1s"}
		for _, p := range cl.nodes {
			n.flags = append(n.flags, "--retry-join", p.gossipAddr())
		}
	}
	return cl
}

// start starts every node with extraEnv and waits for a leader with three
// voters.
func (cl *cluster) start(extraEnv ...string) *node {
	cl.t.Helper()
	for _, n := range cl.nodes {
		n.start(extraEnv...)
	}
	return cl.waitLeader(60 * time.Second)
}

// waitLeader waits for a leader with three voters.
func (cl *cluster) waitLeader(d time.Duration) *node {
	cl.t.Helper()
	var l *node
	waitFor(cl.t, "a leader with 3 voters", d, func() bool { l = leader(cl.nodes, 3); return l != nil })
	return l
}

// restart starts a dead node again (without extra environment) and waits
// until it has caught up with the leader.
func (cl *cluster) restart(n *node) *node {
	cl.t.Helper()
	n.arm("")
	n.start()
	l := cl.waitLeader(60 * time.Second)
	waitFor(cl.t, n.name+" caught up", 60*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	return l
}

// waitDeath waits up to d for n to die at its failpoint (by SIGKILL).
func (cl *cluster) waitDeath(n *node, d time.Duration) {
	cl.t.Helper()
	select {
	case <-n.Exited():
	case <-time.After(d):
		cl.t.Fatalf("%s did not die at its failpoint within %s", n.name, d)
	}
	if !n.KilledBy(syscall.SIGKILL) {
		cl.t.Fatalf("%s exited, but not by SIGKILL: %v", n.name, n.ExitErr())
	}
	if !strings.Contains(n.Log(), "failpoint reached") {
		cl.t.Fatalf("%s was killed, but its log has no \"failpoint reached\" line", n.name)
	}
}

// webCluster starts the cloud and three agents reconciling one instance
// of web, and waits until it runs; it returns the cluster and its leader.
func webCluster(t *testing.T) (*cluster, *node) {
	t.Helper()
	bin := binary(t)
	cl := newCluster(t, bin, startCloud(t, bin), false)
	cl.write(infra{web: 1})
	l := cl.start()
	cl.waitConverged(l, 1, 0, 90*time.Second)
	return cl, l
}
