package fsm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftwal "github.com/hashicorp/raft-wal"

	"github.com/yairfalse/ovi/mvcc"
)

// proposeFSM is one FSM configuration BenchmarkProposeLatency compares: a
// no-op FSM (the engine and its log alone), and this FSM over a store that
// fsyncs every commit (the store before issue 14) or syncs every 100 ms
// (the agent's default).
type proposeFSM struct {
	name string
	noop bool
	opts mvcc.Options
}

func proposeFSMs() []proposeFSM {
	return []proposeFSM{
		{name: "fsm=noop", noop: true},
		{name: "store=deferred-100ms", opts: mvcc.Options{SyncInterval: 100 * time.Millisecond}},
		{name: "store=fsync-each-commit"},
		{name: "store=nosync", opts: mvcc.Options{NoSync: true}},
	}
}

// proposeLogs are the Raft log stores an agent can run on
// (raft.log_store), both with fsync on.
func proposeLogs() map[string]func(testing.TB, string) raftStores {
	return map[string]func(testing.TB, string) raftStores{
		"log=boltdb": boltRaftStores,
		"log=wal":    walRaftStores,
	}
}

// BenchmarkProposeLatency is the in-process write path: a single-node Raft
// over a durable log (raft-boltdb/v2 or raft-wal, fsync on) and an FSM
// (none, or this one over a file-backed store); P proposers each propose
// one ~256-byte observation at a time and wait for it to be applied
// (raft.Apply's future, as cluster.Propose does). It reports proposals/s,
// the p50/p99 latency of one proposal, and the FSM's part of it: the mean
// time of one ApplyBatch call (Raft's future waits for it) and the logs
// each call carried. fsm=noop against store=… is the FSM's cost at the
// same load.
func BenchmarkProposeLatency(b *testing.B) {
	logs := proposeLogs()
	for _, logName := range slices.Sorted(func(yield func(string) bool) {
		for k := range logs {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, cfg := range proposeFSMs() {
			for _, p := range []int{1, 64} {
				b.Run(fmt.Sprintf("%s/%s/proposers=%d", logName, cfg.name, p), func(b *testing.B) {
					benchPropose(b, cfg, logs[logName](b, b.TempDir()), p)
				})
			}
		}
	}
}

// timedFSM measures the ApplyBatch calls Raft makes.
type timedFSM struct {
	raft.BatchingFSM
	calls, logs, nanos atomic.Int64
}

func (t *timedFSM) ApplyBatch(logs []*raft.Log) []any {
	start := time.Now()
	out := t.BatchingFSM.ApplyBatch(logs)
	t.nanos.Add(time.Since(start).Nanoseconds())
	t.calls.Add(1)
	t.logs.Add(int64(len(logs)))
	return out
}

// benchFSM returns the FSM of cfg (and closes its store when b ends).
func benchFSM(b *testing.B, cfg proposeFSM) raft.BatchingFSM {
	if cfg.noop {
		return noopFSM{}
	}
	store, err := mvcc.Open(filepath.Join(b.TempDir(), "state.db"), cfg.opts)
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(func() { _ = store.Close() })
	return New(store, nil)
}

func benchPropose(b *testing.B, cfg proposeFSM, st raftStores, proposers int) {
	cmds := benchCommands(b)
	timed := &timedFSM{BatchingFSM: benchFSM(b, cfg)}
	r := startRaft(b, timed, st, raftConfig(benchBatch))
	defer stopRaft(b, r)
	timed.calls.Store(0)
	timed.logs.Store(0)
	timed.nanos.Store(0)
	lat := make([][]time.Duration, proposers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for p := range proposers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[p] = proposeLoop(b, r, cmds, p, proposers)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, slices.Concat(lat...), elapsed)
	if calls := timed.calls.Load(); calls > 0 {
		b.ReportMetric(float64(timed.nanos.Load())/float64(calls)/1000, "applybatch-µs")
		b.ReportMetric(float64(timed.logs.Load())/float64(calls), "logs/applybatch")
	}
}

// proposeLoop is proposer p of n: it proposes commands p, p+n, … below
// b.N one at a time and returns the latency of each.
func proposeLoop(b *testing.B, r *raft.Raft, cmds [][]byte, p, n int) []time.Duration {
	var lat []time.Duration
	for i := p; i < b.N; i += n {
		t0 := time.Now()
		fut := r.Apply(cmds[i%benchResources], time.Minute)
		if err := fut.Error(); err != nil {
			b.Errorf("apply: %v", err)
			return lat
		}
		if res, ok := fut.Response().(ApplyResult); !ok || res.Err != nil {
			b.Errorf("apply: %+v", fut.Response())
			return lat
		}
		lat = append(lat, time.Since(t0))
	}
	return lat
}

// reportLatency reports proposals/s and the p50/p99 of all.
func reportLatency(b *testing.B, all []time.Duration, elapsed time.Duration) {
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "proposals/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// walRaftStores are durable Raft stores on hashicorp/raft-wal (one
// fdatasync per append) in dir, as raft.log_store: wal opens them.
func walRaftStores(tb testing.TB, dir string) raftStores {
	tb.Helper()
	walDir := filepath.Join(dir, "wal")
	if err := os.MkdirAll(walDir, 0o700); err != nil {
		tb.Fatalf("wal dir: %v", err)
	}
	w, err := raftwal.Open(walDir)
	if err != nil {
		tb.Fatalf("raft-wal: %v", err)
	}
	tb.Cleanup(func() { _ = w.Close() })
	return raftStores{logs: w, stable: w, snaps: raft.NewInmemSnapshotStore(), addr: raft.NewInmemAddr()}
}
