//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/benchpeers"
	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// The profile's workload: bench-peers' append load (cluster/benchpeers).
const (
	profileSeconds   = 10     // the CPU profile window under load
	profileProposers = 64     // closed-loop clients
	profileKeySpace  = 100000 // random resource ids: a note on notes/k<n>
	profileTextBytes = 256    // the note's text
)

// profiled is one agent whose CPU is profiled under the load, and its role
// in the run: the leader, the follower the clients write to (entry), or a
// follower that only replicates.
type profiled struct {
	node *clustertest.Node
	role string
}

// BenchmarkLeaderProfile: bench-peers' 64-client append load (POST
// /v1/wal/note, a 256-byte text on one of 100,000 random resource ids,
// three `ovi agent` processes on the raft-wal log store) with CPU profiles
// of every agent taken through /debug/pprof/profile (behind the write
// token) while the load runs. via-leader sends the notes to the leader;
// via-follower sends them to a follower, which forwards them. The
// profiles are written to $OVI_PROFILE_DIR (default: the test's temporary
// directory, logged) as VIA.ROLE.N.pprof (ROLE: leader, entry — the
// follower the clients write to —, follower), with each agent's
// allocation profile beside it, for `go tool pprof -top bin/ovi FILE`.
// Each agent's CPU per note over the window (from /proc) and the load
// client's (this process) are reported as µs/note metrics. Run with
// -benchtime 1x: each iteration is one 10 s window.
func BenchmarkLeaderProfile(b *testing.B) {
	const token = "bench-operator-token"
	nodes, l := startProfiledCluster(b, token)
	fs := clustertest.Followers(nodes, l)
	dir := os.Getenv("OVI_PROFILE_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	text := strings.Repeat("n", profileTextBytes)
	for _, via := range []struct {
		name   string
		target *clustertest.Node
		nodes  []profiled
	}{
		{"via-leader", l, []profiled{{l, "leader"}, {fs[0], "follower"}, {fs[1], "follower2"}}},
		{"via-follower", fs[0], []profiled{{fs[0], "entry"}, {l, "leader"}, {fs[1], "follower"}}},
	} {
		b.Run(via.name, func(b *testing.B) {
			note := func(ctx context.Context) error {
				id := "k" + strconv.Itoa(rand.IntN(profileKeySpace))
				_, err := via.target.Client.Note(ctx, transport.NoteRequest{ResourceID: id, Text: text})
				return err
			}
			for i := range 500 { // warm up: connections, the store's first pages
				if err := note(context.Background()); err != nil {
					b.Fatalf("warm-up note %d: %v", i, err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				profileUnderLoad(b, via.nodes, token, filepath.Join(dir, fmt.Sprintf("%s.%%s.%d", via.name, i)), note)
			}
		})
	}
}

// startProfiledCluster starts three agents with the write token (the
// profiles' scope) on the raft-wal log store and returns them and the
// leader. Their clients carry the token and a 30 s timeout.
func startProfiledCluster(b *testing.B, token string) ([]*clustertest.Node, *clustertest.Node) {
	bin := clustertest.Binary(b)
	nodes := make([]*clustertest.Node, 3)
	for i := range nodes {
		nodes[i] = clustertest.NewNode(b, bin, fmt.Sprintf("ovi-%d", i+1))
		c, err := transport.NewClient(nodes[i].HTTPAddr(), transport.ClientOptions{Timeout: 30 * time.Second, Token: token})
		if err != nil {
			b.Fatal(err)
		}
		nodes[i].Client = c
	}
	for _, n := range nodes {
		n.Flags = []string{"--bootstrap-expect", "3", "--acl-write-token", token, "--raft-log-store", "wal"}
		for _, p := range nodes {
			n.Flags = append(n.Flags, "--retry-join", p.GossipAddr())
		}
		n.Start()
	}
	var l *clustertest.Node
	clustertest.WaitFor(b, "a leader with 3 voters", 30*time.Second, func() bool { l = clustertest.Leader(nodes, 3); return l != nil })
	return nodes, l
}

// loadWindow is what the closed-loop clients did during a profile window.
type loadWindow struct {
	lat    []time.Duration
	failed int64
}

// runClosedLoop runs workers clients calling op until ctx ends.
func runClosedLoop(ctx context.Context, workers int, op func(context.Context) error) *loadWindow {
	out := &loadWindow{}
	var mu sync.Mutex
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := op(ctx); err != nil && ctx.Err() == nil {
					failed.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			out.lat = append(out.lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	out.failed = failed.Load()
	return out
}

// profileUnderLoad runs the closed-loop clients until the CPU profiles
// (profileSeconds) of nodes have been written (pattern's %s is the role),
// and reports the rate, the latency and the CPU per note of each agent
// and of this process (the load client) over the window.
func profileUnderLoad(b *testing.B, nodes []profiled, token, pattern string, op func(context.Context) error) {
	b.Helper()
	ctx, stop := context.WithCancel(context.Background())
	loaded := make(chan *loadWindow, 1)
	go func() { loaded <- runClosedLoop(ctx, profileProposers, op) }()
	fwd0 := forwardCounts(nodes[0].node)
	cpu0, self0 := agentsCPU(nodes), selfCPU()
	start := time.Now()
	errs := make([]error, len(nodes))
	var pw sync.WaitGroup
	for i, n := range nodes {
		pw.Go(func() { errs[i] = fetchProfile(n.node.HTTPAddr(), token, fmt.Sprintf(pattern, n.role)+".pprof") })
	}
	pw.Wait()
	elapsed, cpu1, self1 := time.Since(start), agentsCPU(nodes), selfCPU()
	stop()
	w := <-loaded
	for _, n := range nodes { // allocations since the agent started (-sample_index=alloc_space)
		errs = append(errs, fetchProfilePath(n.node.HTTPAddr(), token, "allocs", fmt.Sprintf(pattern, n.role)+".allocs.pprof"))
	}
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	if w.failed > 0 {
		b.Fatalf("%d of %d notes failed", w.failed, len(w.lat))
	}
	notes := float64(len(w.lat))
	for i, n := range nodes {
		b.ReportMetric(float64((cpu1[i]-cpu0[i]).Microseconds())/notes, n.role+"-cpu-µs/note")
	}
	b.ReportMetric(float64((self1-self0).Microseconds())/notes, "client-cpu-µs/note")
	if fwd1 := forwardCounts(nodes[0].node); fwd1.requests > fwd0.requests { // the entry is a follower of a build that counts its forwards
		b.ReportMetric((fwd1.proposals-fwd0.proposals)/(fwd1.requests-fwd0.requests), "notes/forward-request")
	}
	slices.Sort(w.lat)
	b.Logf("CPU profiles (%d s, %d notes, %d clients): %s", profileSeconds, len(w.lat), profileProposers, fmt.Sprintf(pattern, "*")+".pprof")
	b.ReportMetric(notes/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(w.lat[len(w.lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(w.lat[len(w.lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// forwarded counts the proposals a follower forwarded, and the requests
// that carried them (ovi_forward_*_total over both wires).
type forwarded struct{ requests, proposals float64 }

// forwardCounts reads n's forwarding counters (zero when it has none).
func forwardCounts(n *clustertest.Node) forwarded {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	text, err := n.Client.Metrics(ctx)
	if err != nil {
		return forwarded{}
	}
	var out forwarded
	for _, m := range regexp.MustCompile(`(?m)^ovi_forward_(requests|proposals)_total\{wire="\w+"\} (\S+)$`).FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "requests" {
			out.requests += v
		} else {
			out.proposals += v
		}
	}
	return out
}

// agentsCPU is the CPU time (user + system) each agent process has used.
func agentsCPU(nodes []profiled) []time.Duration {
	out := make([]time.Duration, len(nodes))
	for i, n := range nodes {
		out[i] = procCPU(n.node.Pid())
	}
	return out
}

// procCPU is the CPU time (user + system) a process has used, from
// /proc/PID/stat (benchpeers' reader); 0 when unreadable.
func procCPU(pid int) time.Duration {
	d, _ := benchpeers.ProcFS{}.ProcessCPU(pid)
	return d
}

// selfCPU is this process' CPU time (user + system): the load client's.
func selfCPU() time.Duration {
	d, _ := benchpeers.SelfCPU()
	return d
}

// fetchProfile writes the agent's CPU profile over profileSeconds to path.
func fetchProfile(addr, token, path string) error {
	return fetchProfilePath(addr, token, fmt.Sprintf("profile?seconds=%d", profileSeconds), path)
}

// fetchProfilePath writes the agent's /debug/pprof/NAME to path.
func fetchProfilePath(addr, token, name, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), (profileSeconds+30)*time.Second)
	defer cancel()
	return benchpeers.FetchProfile(ctx, http.DefaultClient, token, fmt.Sprintf("http://%s/debug/pprof/%s", addr, name), path)
}
