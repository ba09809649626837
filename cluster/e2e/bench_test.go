//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cluster/benchpeers"
	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// runLoad runs b.N operations spread over workers and reports ops/s and
// p50/p99 latency.
func runLoad(b *testing.B, workers int, unit string, op func(ctx context.Context, i int) error) {
	b.Helper()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d operations failed", n, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReplicatedAppend: notes through the HTTP API of a 3-process
// cluster (to the leader, and to a follower that forwards), against raw
// hashicorp/raft + raft-boltdb/v2 with a no-op FSM (3 nodes in this
// process, load applied inside the leader). Fsync on everywhere.
func BenchmarkReplicatedAppend(b *testing.B) {
	bin := clustertest.Binary(b)
	nodes, l := clustertest.StartCluster(b, bin)
	f := clustertest.Followers(nodes, l)[0]
	for _, p := range []int{1, 64} {
		b.Run(fmt.Sprintf("ovi-leader/proposers=%d", p), func(b *testing.B) {
			runLoad(b, p, "records", func(ctx context.Context, _ int) error {
				_, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: "bench", Text: "benchmark note"})
				return err
			})
		})
	}
	b.Run("ovi-follower/proposers=64", func(b *testing.B) {
		runLoad(b, 64, "records", func(ctx context.Context, _ int) error {
			_, err := f.Client.Note(ctx, transport.NoteRequest{ResourceID: "bench", Text: "benchmark note"})
			return err
		})
	})
	leader := startRawCluster(b)
	for _, p := range []int{1, 64} {
		b.Run(fmt.Sprintf("raw-raft/proposers=%d", p), func(b *testing.B) {
			runLoad(b, p, "records", func(context.Context, int) error {
				return leader.Apply(10 * time.Second)
			})
		})
	}
}

// startRawCluster starts three raw Raft nodes in this process
// (benchpeers.StartRawNode: Ovi's engine settings and log cache,
// raft-boltdb/v2, a no-op FSM, the TCP stream layer) and returns the
// leader.
func startRawCluster(b *testing.B) *benchpeers.RawNode {
	b.Helper()
	var lns []net.Listener
	var servers []raft.Server
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns = append(lns, ln)
		servers = append(servers, raft.Server{ID: raft.ServerID(fmt.Sprintf("raw-%d", i)), Address: raft.ServerAddress(ln.Addr().String())})
	}
	var nodes []*benchpeers.RawNode
	for i, ln := range lns {
		n, err := benchpeers.StartRawNode(benchpeers.RawNodeConfig{ID: string(servers[i].ID), Dir: b.TempDir(),
			Peers: servers, Store: cluster.LogStoreBoltDB, ValSize: len("benchmark note")}, ln)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = n.Close() })
		nodes = append(nodes, n)
	}
	var leader *benchpeers.RawNode
	clustertest.WaitFor(b, "a raw raft leader", 20*time.Second, func() bool {
		for _, n := range nodes {
			if n.Raft.State() == raft.Leader {
				leader = n
				return true
			}
		}
		return false
	})
	return leader
}

// BenchmarkTimeTravelReads: state of one key at a random old revision
// (of 50,000) through a follower's HTTP API.
func BenchmarkTimeTravelReads(b *testing.B) {
	bin := clustertest.Binary(b)
	nodes, l := clustertest.StartCluster(b, bin)
	f := clustertest.Followers(nodes, l)[0]
	const revisions = 50000
	revs := make([]uint64, revisions)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < revisions; i = int(next.Add(1)) - 1 {
				res, err := l.Client.Note(context.Background(), transport.NoteRequest{ResourceID: "hot", Text: fmt.Sprint(i)})
				if err != nil {
					b.Error(err)
					return
				}
				revs[i] = res.Revision
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	for _, lvl := range []transport.Consistency{transport.Stale, transport.Consistent} {
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/clients=%d", lvl, clients), func(b *testing.B) {
				runLoad(b, clients, "reads", func(ctx context.Context, i int) error {
					rev := revs[rand.IntN(len(revs))]
					st, err := f.Client.State(ctx, transport.StateQuery{Revision: rev, Prefix: "notes/hot", Consistency: lvl})
					if err == nil && len(st.Entries) != 1 {
						return fmt.Errorf("revision %d: %d entries", rev, len(st.Entries))
					}
					return err
				})
			})
		}
	}
}

// BenchmarkFailoverGap: kill -9 the leader, time until the next write
// commits through a survivor; restart the old leader and let it catch up.
// Run with -benchtime=5x.
func BenchmarkFailoverGap(b *testing.B) {
	bin := clustertest.Binary(b)
	nodes, l := clustertest.StartCluster(b, bin)
	var gaps []time.Duration
	ctx := context.Background()
	for range b.N {
		survivor := clustertest.Followers(nodes, l)[0]
		if _, err := survivor.Client.Note(ctx, transport.NoteRequest{ResourceID: "f", Text: "before"}); err != nil {
			b.Fatal(err)
		}
		killed := time.Now()
		l.Stop(syscall.SIGKILL)
		clustertest.WaitFor(b, "a write after the kill", 30*time.Second, func() bool {
			_, err := survivor.Client.Note(ctx, transport.NoteRequest{ResourceID: "f", Text: "after"})
			return err == nil
		})
		gaps = append(gaps, time.Since(killed))
		l.Start()
		clustertest.WaitFor(b, "3 voters and a leader again", 30*time.Second, func() bool {
			_, ok := l.Status()
			nl := clustertest.Leader(nodes, 3)
			if ok && nl != nil {
				l = nl
				return true
			}
			return false
		})
	}
	b.StopTimer()
	slices.Sort(gaps)
	b.Logf("failover gaps: %v", gaps)
	b.ReportMetric(float64(gaps[len(gaps)/2].Milliseconds()), "median-gap-ms")
	b.ReportMetric(float64(gaps[len(gaps)-1].Milliseconds()), "max-gap-ms")
	b.ReportMetric(0, "ns/op")
}
