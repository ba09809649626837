//go:build e2e

// Package e2e runs real `ovi agent` processes on 127.0.0.1 and checks the
// cluster end to end. The binary comes from $OVI_BIN (make e2e builds it);
// without it the test builds one.
package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// binary returns the ovi binary to test.
func binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("OVI_BIN"); b != "" {
		abs, err := filepath.Abs(b)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	out := filepath.Join(t.TempDir(), "ovi")
	cmd := exec.Command("go", "build", "-o", out, "github.com/yairfalse/ovi/cmd/ovi")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build ovi: %v\n%s", err, msg)
	}
	return out
}

// freePort reserves a port by listening on 127.0.0.1:0 and closing.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// node is one agent process and its fixed ports and data dir.
type node struct {
	t        testing.TB
	bin      string
	name     string
	dataDir  string
	http     int
	raft     int
	gossip   int
	extra    []string
	cmd      *exec.Cmd
	logPath  string
	exited   chan struct{}
	exitErr  error
	client   *transport.Client
	restarts int
}

func newNode(t testing.TB, bin, name string, extra ...string) *node {
	t.Helper()
	n := &node{t: t, bin: bin, name: name, dataDir: t.TempDir(), http: freePort(t), raft: freePort(t), gossip: freePort(t), extra: extra}
	c, err := transport.NewClient(n.httpAddr(), transport.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n.client = c
	return n
}

func (n *node) httpAddr() string   { return fmt.Sprintf("127.0.0.1:%d", n.http) }
func (n *node) gossipAddr() string { return fmt.Sprintf("127.0.0.1:%d", n.gossip) }

func (n *node) args() []string {
	a := []string{"agent", "--node-name", n.name, "--data-dir", n.dataDir, "--bind-addr", "127.0.0.1",
		"--http-port", strconv.Itoa(n.http), "--raft-port", strconv.Itoa(n.raft), "--gossip-port", strconv.Itoa(n.gossip)}
	return append(a, n.extra...)
}

// start launches the process; its output goes to a log file printed when
// the test fails.
func (n *node) start() {
	n.t.Helper()
	n.logPath = filepath.Join(n.dataDir, fmt.Sprintf("agent-%d.log", n.restarts))
	n.restarts++
	logf, err := os.Create(n.logPath)
	if err != nil {
		n.t.Fatal(err)
	}
	n.cmd = exec.Command(n.bin, n.args()...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", n.name, err)
	}
	exited := make(chan struct{})
	n.exited = exited
	cmd := n.cmd
	go func() {
		n.exitErr = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	n.t.Cleanup(func() {
		n.stop(syscall.SIGKILL)
		if n.t.Failed() {
			if b, err := os.ReadFile(n.logPath); err == nil {
				n.t.Logf("--- log of %s (last 3000 bytes) ---\n%s", n.name, tail(string(b), 3000))
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// stop sends sig and waits for the process to exit.
func (n *node) stop(sig syscall.Signal) {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	select {
	case <-n.exited:
		return
	default:
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
}

func (n *node) running() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// status returns a node's status, or false if it does not answer.
func (n *node) status() (transport.StatusResponse, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := n.client.Status(ctx)
	return st, err == nil
}

// leader returns the running node that is leader with all voters in place.
func leader(nodes []*node, voters int) *node {
	for _, n := range nodes {
		if !n.running() {
			continue
		}
		st, ok := n.status()
		if ok && st.State == "Leader" && len(st.Peers) == voters {
			return n
		}
	}
	return nil
}

// startCluster starts three agents with bootstrap_expect 3 and retry_join
// and waits for a leader with three voters.
func startCluster(t testing.TB, bin string, extra ...string) ([]*node, *node) {
	t.Helper()
	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = newNode(t, bin, fmt.Sprintf("ovi-%d", i+1))
	}
	for _, n := range nodes {
		n.extra = append([]string{"--bootstrap-expect", "3"}, extra...)
		for _, p := range nodes {
			n.extra = append(n.extra, "--retry-join", p.gossipAddr())
		}
		n.start()
	}
	var l *node
	waitFor(t, "a leader with 3 voters", 30*time.Second, func() bool { l = leader(nodes, 3); return l != nil })
	return nodes, l
}

func followers(nodes []*node, l *node) []*node {
	var out []*node
	for _, n := range nodes {
		if n != l && n.running() {
			out = append(out, n)
		}
	}
	return out
}
