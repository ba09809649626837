//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// Documented bounds of every listener (docs/operations.md, "Connection
// limits"): a connection that sends nothing is closed within these.
const (
	floodConns = 1200
	// The floods come from other loopback addresses than the cluster's
	// own clients (127.0.0.1): first all from one (the per-address limit
	// bites), then 25 from each of 48 (the listener's total bites).
	floodSource = "127.0.0.77"
	floodSpread = 48
)

// floodPort is one listener of a node and how soon it must close a
// connection that sends nothing.
type floodPort struct {
	name    string
	port    int
	closeIn time.Duration
	perIP   int // connections from one address the agent may hold at once
	total   int // connections the listener may hold at once
}

// TestConnectionFloodIsBounded opens 1,200 connections that send nothing
// (half-open, from the agent's side) to each TCP port of a follower —
// gossip, Raft, HTTP API — and holds them, first from one address, then
// from 48. The agent must hold no more than its per-address and total
// limits of them, close every one within the documented timeout, keep
// serving meanwhile (writes through the leader; the follower's HTTP API
// while its own listener is not full), and its RSS (/proc/PID/status)
// must come back near where it was before. Plaintext on loopback, where
// nothing but these limits bounds a silent Raft connection.
func TestConnectionFloodIsBounded(t *testing.T) {
	leakCheckGC(t)
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	floodFollower(t, nodes, l)
}

// TestConnectionFloodIsBoundedWithMutualTLS is the same against a cluster
// set up as docs/operations.md says (mutual TLS, gossip key, tokens): the
// flood's connections never start a handshake.
func TestConnectionFloodIsBoundedWithMutualTLS(t *testing.T) {
	leakCheckGC(t)
	bin := clustertest.Binary(t)
	m := clustertest.NewMaterial(t, bin, "ovi-1", "ovi-2", "ovi-3")
	nodes, l := clustertest.StartSecureCluster(t, bin, m)
	floodFollower(t, nodes, l)
}

// leakCheckGC runs the test's agents with Go's default GOGC=100. The RSS
// check asks whether the flood left anything held; under the agent's own
// GOGC=400 (cluster/gc.go) the heap may keep up to four times its live
// bytes of garbage until the next collection, so RSS would measure that
// headroom, not a leak.
func leakCheckGC(t *testing.T) {
	t.Setenv("GOGC", "100")
}

// floodFollower floods each TCP port of a follower of the cluster, from
// one address and from floodSpread, and checks the agent's RSS after.
func floodFollower(t *testing.T, nodes []*clustertest.Node, l *clustertest.Node) {
	t.Helper()
	f := clustertest.Followers(nodes, l)[0]
	pid := f.Pid()
	write(t, l, "before the flood")
	base := settledRSS(t, pid)
	ports := []floodPort{
		{"gossip", f.Gossip, 5 * time.Second, 32, 128},
		{"raft", f.Raft, 10 * time.Second, 32, 128},
		{"http", f.HTTP, 10 * time.Second, 256, 1024},
	}
	peak := base
	for _, spread := range []int{1, floodSpread} {
		for _, p := range ports {
			peak = max(peak, flood(t, f, l, pid, p, spread))
		}
	}
	after := waitRSS(t, pid, base)
	t.Logf("RSS: %d KiB before, peak %d KiB, %d KiB after the floods", base, peak, after)
}

// flood opens floodConns connections to p, checks the agent's hold on
// them and that each is closed in time, and returns the peak RSS.
func flood(t *testing.T, f, l *clustertest.Node, pid int, p floodPort, spread int) int {
	t.Helper()
	baseSockets := sockets(t, pid)
	start := time.Now()
	conns := dialMany(t, p.port, spread)
	opened := time.Since(start)
	stop := make(chan struct{})
	peaks := make(chan [2]int)
	go func() { peaks <- samplePeaks(t, pid, stop) }()
	write(t, l, "during the "+p.name+" flood")
	want := min(p.perIP*spread, p.total)
	if want < p.total || p.name != "http" {
		if _, err := f.Client.Status(clustertest.Context(t, 5*time.Second)); err != nil {
			t.Fatalf("%s flood: the follower stopped answering: %v", p.name, err)
		}
	}
	closed := waitClosed(t, conns, p.closeIn+5*time.Second)
	close(stop)
	pk := <-peaks
	peakRSS, held := pk[0], pk[1]-baseSockets
	if held > want+8 {
		t.Errorf("%s from %d addresses: the agent held %d of the %d connections at once; its limits allow %d", p.name, spread, held, len(conns), want)
	}
	if closed.open > 0 {
		t.Errorf("%s: %d of %d connections still open %s after the flood (want all closed within %s)",
			p.name, closed.open, len(conns), closed.waited.Round(time.Millisecond), p.closeIn)
	}
	t.Logf("%s from %d addresses: %d connections opened in %s; agent held at most %d (limits allow %d); %d refused at accept, %d closed after waiting (last after %s, bound %s); RSS peak %d KiB",
		p.name, spread, len(conns), opened.Round(time.Millisecond), held, want, closed.refused, closed.timedOut,
		closed.last.Round(time.Millisecond), p.closeIn, peakRSS)
	return peakRSS
}

// samplePeaks reads pid's RSS and socket count every 20 ms until stop
// and returns their peaks.
func samplePeaks(t *testing.T, pid int, stop <-chan struct{}) [2]int {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var pk [2]int
	for {
		pk[0], pk[1] = max(pk[0], rss(t, pid)), max(pk[1], sockets(t, pid))
		select {
		case <-stop:
			return pk
		case <-tick.C:
		}
	}
}

// dialMany opens floodConns connections to port, from floodSource alone
// (spread 1) or round-robin from spread addresses 127.0.1.1….
func dialMany(t *testing.T, port, spread int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, floodConns)
	for i := range floodConns {
		src := net.ParseIP(floodSource)
		if spread > 1 {
			src = net.IPv4(127, 0, 1, byte(1+i%spread))
		}
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("dial %d: %v (after %d)", port, err, len(conns))
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return conns
}

// closedCounts is how the agent ended a flood's connections.
type closedCounts struct {
	refused, timedOut, open int
	last, waited            time.Duration
}

// waitClosed reads every connection until the agent closes it (EOF or
// reset), up to d, and counts: closed at once (refused at accept, under
// 1 s), closed later (timed out), still open.
func waitClosed(t *testing.T, conns []net.Conn, d time.Duration) closedCounts {
	t.Helper()
	start := time.Now()
	var mu sync.Mutex
	var out closedCounts
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(start.Add(d))
			_, err := bufio.NewReader(c).Discard(1 << 20)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				out.open++
			case took < time.Second:
				out.refused++
			default:
				out.timedOut++
			}
			out.last = max(out.last, took)
		})
	}
	wg.Wait()
	out.waited = time.Since(start)
	return out
}

// write commits a note through l.
func write(t *testing.T, l *clustertest.Node, text string) {
	t.Helper()
	if _, err := l.Client.Note(clustertest.Context(t, 10*time.Second), transport.NoteRequest{ResourceID: "flood", Text: text}); err != nil {
		t.Fatalf("write %q: %v", text, err)
	}
}

// rss is VmRSS of pid in KiB.
func rss(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// settledRSS waits (up to 30 s) until pid's RSS has stayed within 1 MiB
// for 2 s, and returns it.
func settledRSS(t *testing.T, pid int) int {
	t.Helper()
	var since time.Time
	var ref int
	clustertest.WaitFor(t, "RSS to settle", 30*time.Second, func() bool {
		now := rss(t, pid)
		if since.IsZero() || now-ref > 1024 || ref-now > 1024 {
			since, ref = time.Now(), now
			return false
		}
		return time.Since(since) >= 2*time.Second
	})
	return ref
}

// waitRSS waits up to 60 s for pid's RSS to come back within 20% (and
// at least 8 MiB) of base, and returns it.
func waitRSS(t *testing.T, pid, base int) int {
	t.Helper()
	limit := base + max(base/5, 8<<10)
	var now int
	clustertest.WaitForSeen(t, fmt.Sprintf("RSS back under %d KiB (before: %d KiB)", limit, base), 60*time.Second, func() (bool, string) {
		now = rss(t, pid)
		return now <= limit, fmt.Sprintf("RSS %d KiB", now)
	})
	return now
}

// sockets counts pid's open sockets.
func sockets(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}
