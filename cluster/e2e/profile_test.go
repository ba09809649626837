//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// profileSeconds is how long the leader's CPU profile runs under load.
const profileSeconds = 10

// BenchmarkLeaderProfile: the 64-proposer load of BenchmarkReplicatedAppend
// (POST /v1/wal/note, three `ovi agent` processes) with CPU profiles
// taken through /debug/pprof/profile (behind the write token) while the
// load runs: via-leader sends the notes to the leader and profiles it;
// via-follower sends them to a follower, which forwards them, and
// profiles both. The profiles are written to $OVI_PROFILE_DIR (default: the
// test's temporary directory, logged) as SUB.NODE.pprof, for
// `go tool pprof -top bin/ovi FILE`. Run with -benchtime 1x: each
// iteration is one 10 s profile window.
func BenchmarkLeaderProfile(b *testing.B) {
	bin := clustertest.Binary(b)
	const token = "bench-operator-token"
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
		n.Flags = []string{"--bootstrap-expect", "3", "--acl-write-token", token}
		for _, p := range nodes {
			n.Flags = append(n.Flags, "--retry-join", p.GossipAddr())
		}
		n.Start()
	}
	var l *clustertest.Node
	clustertest.WaitFor(b, "a leader with 3 voters", 30*time.Second, func() bool { l = clustertest.Leader(nodes, 3); return l != nil })
	f := clustertest.Followers(nodes, l)[0]
	dir := os.Getenv("OVI_PROFILE_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	for _, via := range []struct {
		name    string
		target  *clustertest.Node
		profile []*clustertest.Node
	}{{"via-leader", l, []*clustertest.Node{l}}, {"via-follower", f, []*clustertest.Node{f, l}}} {
		b.Run(via.name, func(b *testing.B) {
			note := func(ctx context.Context) error {
				_, err := via.target.Client.Note(ctx, transport.NoteRequest{ResourceID: "bench", Text: "benchmark note"})
				return err
			}
			for i := range 500 { // warm up: connections, the store's first pages
				if err := note(context.Background()); err != nil {
					b.Fatalf("warm-up note %d: %v", i, err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				paths := make([]string, len(via.profile))
				for j, n := range via.profile {
					role := "follower"
					if n == l {
						role = "leader"
					}
					paths[j] = filepath.Join(dir, fmt.Sprintf("%s.%s.%d.pprof", via.name, role, i))
				}
				profileUnderLoad(b, via.profile, token, paths, 64, note)
			}
		})
	}
}

// profileUnderLoad runs workers closed-loop proposers until the CPU
// profiles (profileSeconds) of nodes have been written to paths, and
// reports the rate and latency of the window.
func profileUnderLoad(b *testing.B, nodes []*clustertest.Node, token string, paths []string, workers int, op func(context.Context) error) {
	b.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var lat []time.Duration
	var mu sync.Mutex
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := op(ctx); err != nil && ctx.Err() == nil {
					failed.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	start := time.Now()
	errs := make([]error, len(nodes))
	var pw sync.WaitGroup
	for i, n := range nodes {
		pw.Add(1)
		go func() {
			defer pw.Done()
			errs[i] = fetchProfile(n.HTTPAddr(), token, paths[i])
		}()
	}
	pw.Wait()
	elapsed := time.Since(start)
	for i, n := range nodes { // allocations since the agent started (-sample_index=alloc_space)
		errs = append(errs, fetchProfilePath(n.HTTPAddr(), token, "allocs", strings.TrimSuffix(paths[i], ".pprof")+".allocs.pprof"))
	}
	err := errors.Join(errs...)
	stop()
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d notes failed", n, len(lat))
	}
	slices.Sort(lat)
	b.Logf("CPU profiles (%d s, %d notes, %d proposers): %s", profileSeconds, len(lat), workers, strings.Join(paths, " "))
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// fetchProfile writes the agent's CPU profile over profileSeconds to path.
func fetchProfile(addr, token, path string) error {
	return fetchProfilePath(addr, token, fmt.Sprintf("profile?seconds=%d", profileSeconds), path)
}

// fetchProfilePath writes the agent's /debug/pprof/NAME to path.
func fetchProfilePath(addr, token, name, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), (profileSeconds+30)*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/%s", addr, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}
