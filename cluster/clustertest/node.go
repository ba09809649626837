//go:build e2e

package clustertest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// Node is one `ovi agent` process on 127.0.0.1 with fixed ports, its own
// data dir (which also holds its logs) and a typed client to its HTTP API.
type Node struct {
	*Proc
	DataDir string
	HTTP    int // HTTP API port
	Raft    int
	Gossip  int
	Flags   []string // agent flags after the node's own; read at every Start
	Client  *transport.Client

	bin string
}

// NewNode prepares (does not start) an agent called name on free ports,
// with flags added to its own.
func NewNode(t testing.TB, bin, name string, flags ...string) *Node {
	t.Helper()
	n := &Node{bin: bin, DataDir: t.TempDir(), HTTP: FreePort(t), Raft: FreePort(t), Gossip: FreePort(t), Flags: flags}
	n.Proc = NewProc(t, name, n.DataDir)
	c, err := transport.NewClient(n.HTTPAddr(), transport.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n.Client = c
	return n
}

// HTTPAddr is the host:port of the node's HTTP API.
func (n *Node) HTTPAddr() string { return "127.0.0.1:" + strconv.Itoa(n.HTTP) }

// GossipAddr is the host:port other agents join.
func (n *Node) GossipAddr() string { return "127.0.0.1:" + strconv.Itoa(n.Gossip) }

// Start launches the agent (again, after a stop) with the current Flags.
func (n *Node) Start() {
	n.t.Helper()
	n.Args = append([]string{n.bin, "agent", "--node-name", n.Name, "--data-dir", n.DataDir, "--bind-addr", "127.0.0.1",
		"--http-port", strconv.Itoa(n.HTTP), "--raft-port", strconv.Itoa(n.Raft), "--gossip-port", strconv.Itoa(n.Gossip)},
		n.Flags...)
	n.Proc.Start()
}

// Status returns the node's status, or false if it is not running or does
// not answer within 2 s.
func (n *Node) Status() (transport.StatusResponse, bool) {
	if !n.Running() {
		return transport.StatusResponse{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := n.Client.Status(ctx)
	return st, err == nil
}

// Leader returns the running node that is leader with exactly voters
// peers in its configuration, or nil.
func Leader(nodes []*Node, voters int) *Node {
	for _, n := range nodes {
		st, ok := n.Status()
		if ok && st.State == "Leader" && len(st.Peers) == voters {
			return n
		}
	}
	return nil
}

// Runner is a process that may be running: a *Node, or a test's own
// type embedding *Proc.
type Runner interface {
	comparable
	Running() bool
}

// Followers returns the running processes of nodes other than l.
func Followers[N Runner](nodes []N, l N) []N {
	var out []N
	for _, n := range nodes {
		if n != l && n.Running() {
			out = append(out, n)
		}
	}
	return out
}

// StartCluster starts three agents (ovi-1..3) with bootstrap_expect 3,
// retry_join to each other and flags, and waits up to 30 s for a leader
// with three voters.
func StartCluster(t testing.TB, bin string, flags ...string) ([]*Node, *Node) {
	t.Helper()
	nodes := make([]*Node, 3)
	for i := range nodes {
		nodes[i] = NewNode(t, bin, fmt.Sprintf("ovi-%d", i+1))
	}
	return startThree(t, nodes, func(*Node) []string { return flags })
}

// startThree starts nodes with bootstrap_expect 3, retry_join to each
// other and flagsOf(node), and waits up to 30 s for a leader with three
// voters.
func startThree(t testing.TB, nodes []*Node, flagsOf func(*Node) []string) ([]*Node, *Node) {
	t.Helper()
	for _, n := range nodes {
		n.Flags = append([]string{"--bootstrap-expect", "3"}, flagsOf(n)...)
		for _, p := range nodes {
			n.Flags = append(n.Flags, "--retry-join", p.GossipAddr())
		}
		n.Start()
	}
	var l *Node
	WaitFor(t, "a leader with 3 voters", 30*time.Second, func() bool { l = Leader(nodes, 3); return l != nil })
	return nodes, l
}
