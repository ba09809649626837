package fsm

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/mvcc"
)

// proposeStores are the store configurations BenchmarkProposeLatency
// compares: fsync on every commit (the store before issue 14) and deferred
// sync at the agent's default interval.
func proposeStores() map[string]mvcc.Options {
	return map[string]mvcc.Options{
		"store=fsync-each-commit": {},
		"store=deferred-100ms":    {SyncInterval: 100 * time.Millisecond},
	}
}

// BenchmarkProposeLatency is the in-process write path: a single-node Raft
// with a raft-boltdb/v2 log (fsync on) over this FSM and a file-backed
// store; P proposers each propose one ~256-byte observation at a time and
// wait for it to be applied (raft.Apply's future, as cluster.Propose
// does). It reports proposals/s and the p50/p99 latency of one proposal.
func BenchmarkProposeLatency(b *testing.B) {
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range proposeStores() {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, p := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/proposers=%d", name, p), func(b *testing.B) {
				benchPropose(b, proposeStores()[name], p)
			})
		}
	}
}

func benchPropose(b *testing.B, opts mvcc.Options, proposers int) {
	cmds := benchCommands(b)
	store, err := mvcc.Open(filepath.Join(b.TempDir(), "state.db"), opts)
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	defer func() { _ = store.Close() }()
	r := startRaft(b, New(store, nil), boltRaftStores(b, b.TempDir()), raftConfig(benchBatch))
	defer stopRaft(b, r)
	lat := make([][]time.Duration, proposers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for p := range proposers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < b.N; i += proposers {
				t0 := time.Now()
				fut := r.Apply(cmds[i%benchResources], time.Minute)
				if err := fut.Error(); err != nil {
					b.Errorf("apply: %v", err)
					return
				}
				if res, ok := fut.Response().(ApplyResult); !ok || res.Err != nil {
					b.Errorf("apply: %+v", fut.Response())
					return
				}
				lat[p] = append(lat[p], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "proposals/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
