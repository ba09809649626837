package fsm

import (
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

const (
	benchBatch     = 512   // logs per ApplyBatch / per round of proposals
	benchResources = 10000 // distinct resources the observations cycle over
)

// benchCommands pre-encodes one command per resource, each carrying one
// observed record of about 256 bytes (encoding is the proposer's cost, not
// the FSM's).
func benchCommands(tb testing.TB) [][]byte {
	tb.Helper()
	cmds := make([][]byte, benchResources)
	for i := range cmds {
		id := fmt.Sprintf("i-%017x", i)
		r := header(wal.KindObserved, id, "", i)
		r.Observed = &wal.Observed{Change: wal.ChangeUpdated, Resource: wal.Resource{
			ID: id, Kind: wal.ResourceInstance, State: "running",
			Tags:    map[string]string{"Name": "web-" + id, wal.TagManaged: "true", wal.TagGroup: "web", "env": "production"},
			Managed: true, Group: "web",
			Instance: &wal.Instance{Size: "t3.micro", ImageID: "ami-0123456789abcdef0",
				LaunchTime: baseTime.UnixNano(), SubnetID: "subnet-0123456789abcdef0"},
		}}
		cmds[i] = encodeCmd(tb, r)
	}
	rec, err := wal.EncodeRecord(nil, mustDecodeFirst(tb, cmds[0]))
	if err != nil || len(rec) < 200 || len(rec) > 320 {
		tb.Fatalf("benchmark record is %d bytes (%v), want about 256", len(rec), err)
	}
	return cmds
}

func mustDecodeFirst(tb testing.TB, cmd []byte) *wal.Record {
	tb.Helper()
	b, err := wal.DecodeBatch(cmd)
	if err != nil || len(b.Records) != 1 {
		tb.Fatalf("decode benchmark command: %v", err)
	}
	return &b.Records[0]
}

// BenchmarkApplyBatch measures the FSM alone: batches of 512 logs, each
// with one ~256-byte observed record, into a file-backed store with fsync
// on. One op is one batch (one bbolt transaction).
func BenchmarkApplyBatch(b *testing.B) { benchApplyBatch(b, mvcc.Options{}) }

// BenchmarkApplyBatchDeferred is BenchmarkApplyBatch with the store off the
// fsync path (deferred sync every 100 ms, the agent's default).
func BenchmarkApplyBatchDeferred(b *testing.B) {
	benchApplyBatch(b, mvcc.Options{SyncInterval: 100 * time.Millisecond})
}

func benchApplyBatch(b *testing.B, opts mvcc.Options) {
	cmds := benchCommands(b)
	store, err := mvcc.Open(filepath.Join(b.TempDir(), "state.db"), opts)
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	defer func() { _ = store.Close() }()
	f := New(store, nil)
	logs := make([]*raft.Log, benchBatch)
	var index uint64
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for range b.N {
		for i := range logs {
			index++
			logs[i] = &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: cmds[index%benchResources]}
		}
		for i, r := range f.ApplyBatch(logs) {
			if res, ok := r.(ApplyResult); !ok || res.Err != nil {
				b.Fatalf("log %d: %+v", i, r)
			}
		}
	}
	b.StopTimer()
	reportCPU(b, cpuTime(b)-cpu0, int(index), "cpu-µs/record")
	b.ReportMetric(float64(index)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(store.SizeBytes())/float64(index), "disk-B/record")
}

// BenchmarkBuildEntries is the FSM's own CPU per batch of 512 logs
// (decode, validate, dispatch, encode values) without the store commit: it
// separates the FSM's cost from the store's in BenchmarkApplyBatch.
func BenchmarkBuildEntries(b *testing.B) {
	cmds := benchCommands(b)
	f, _ := newTestFSM(b)
	logs := make([]*raft.Log, benchBatch)
	for i := range logs {
		logs[i] = &raft.Log{Index: uint64(i + 1), Term: 1, Type: raft.LogCommand, Data: cmds[i]}
	}
	var bld builder
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for range b.N {
		for _, l := range logs {
			if _, err := f.buildEntry(&bld, l); err != nil {
				b.Fatalf("build %d: %v", l.Index, err)
			}
		}
	}
	b.StopTimer()
	reportCPU(b, cpuTime(b)-cpu0, b.N*benchBatch, "cpu-µs/record")
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "records/s")
}

// cpuTime is the CPU (user + system) this process has used. The machine
// is shared, so wall-clock rates move with the load; CPU per record does
// not, and is reported beside them.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU microseconds per record under unit.
func reportCPU(b *testing.B, cpu time.Duration, records int, unit string) {
	b.ReportMetric(float64(cpu.Microseconds())/float64(records), unit)
}

// noopFSM is the engine limit: it answers every log and stores nothing.
type noopFSM struct{}

func (noopFSM) Apply(l *raft.Log) any { return ApplyResult{Revision: l.Index} }
func (noopFSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	for i, l := range logs {
		out[i] = ApplyResult{Revision: l.Index}
	}
	return out
}
func (noopFSM) Snapshot() (raft.FSMSnapshot, error) { return noopSnapshot{}, nil }
func (noopFSM) Restore(rc io.ReadCloser) error      { return rc.Close() }

type noopSnapshot struct{}

func (noopSnapshot) Persist(sink raft.SnapshotSink) error { return sink.Close() }
func (noopSnapshot) Release()                             {}

// boltRaftStores are durable Raft stores (raft-boltdb/v2, fsync on) in dir.
func boltRaftStores(tb testing.TB, dir string) raftStores {
	tb.Helper()
	bolt, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		tb.Fatalf("bolt store: %v", err)
	}
	tb.Cleanup(func() { _ = bolt.Close() })
	return raftStores{logs: bolt, stable: bolt, snaps: raft.NewInmemSnapshotStore(), addr: raft.NewInmemAddr()}
}

// BenchmarkRaftApply runs the same load through two real single-node Rafts
// with raft-boltdb/v2 log stores (fsync on): one with this FSM over a
// file-backed store (fsync on), one with a no-op FSM. Each op proposes 512
// commands to each, alternating, so both see the same machine conditions;
// fsm/noop is the FSM's cost over the engine limit (time ratio).
func BenchmarkRaftApply(b *testing.B) {
	cmds := benchCommands(b)
	dir := b.TempDir()
	store, err := mvcc.Open(filepath.Join(dir, "state.db"), mvcc.Options{})
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	defer func() { _ = store.Close() }()
	counted := &countingFSM{FSM: New(store, nil)}
	withFSM := startRaft(b, counted, boltRaftStores(b, b.TempDir()), raftConfig(benchBatch))
	defer stopRaft(b, withFSM)
	noop := startRaft(b, noopFSM{}, boltRaftStores(b, b.TempDir()), raftConfig(benchBatch))
	defer stopRaft(b, noop)

	var fsmTime, noopTime, fsmCPU, noopCPU time.Duration
	next := 0
	b.ResetTimer()
	for range b.N {
		round := make([][]byte, benchBatch)
		for i := range round {
			round[i] = cmds[next%benchResources]
			next++
		}
		wall, cpu := timeRound(b, noop, round)
		noopTime, noopCPU = noopTime+wall, noopCPU+cpu
		wall, cpu = timeRound(b, withFSM, round)
		fsmTime, fsmCPU = fsmTime+wall, fsmCPU+cpu
	}
	b.StopTimer()
	n := float64(b.N * benchBatch)
	b.ReportMetric(n/fsmTime.Seconds(), "fsm-records/s")
	b.ReportMetric(n/noopTime.Seconds(), "noop-records/s")
	b.ReportMetric(fsmTime.Seconds()/noopTime.Seconds(), "fsm/noop")
	reportCPU(b, fsmCPU, b.N*benchBatch, "fsm-cpu-µs/rec")
	reportCPU(b, noopCPU, b.N*benchBatch, "noop-cpu-µs/rec")
	b.ReportMetric(n/float64(counted.batches.Load()), "logs/ApplyBatch")
}

// countingFSM counts the ApplyBatch calls Raft makes (how well Raft's
// commit batches fill the FSM's one-transaction batches).
type countingFSM struct {
	*FSM
	batches atomic.Int64
}

func (c *countingFSM) ApplyBatch(logs []*raft.Log) []any {
	c.batches.Add(1)
	return c.FSM.ApplyBatch(logs)
}

// timeRound proposes cmds concurrently, waits for all their responses and
// returns the wall-clock and process CPU time it took.
func timeRound(b *testing.B, r *raft.Raft, cmds [][]byte) (time.Duration, time.Duration) {
	start, cpu0 := time.Now(), cpuTime(b)
	futures := make([]raft.ApplyFuture, len(cmds))
	for i, c := range cmds {
		futures[i] = r.Apply(c, time.Minute)
	}
	for i, fut := range futures {
		if err := fut.Error(); err != nil {
			b.Fatalf("apply %d: %v", i, err)
		}
		if res, ok := fut.Response().(ApplyResult); !ok || res.Err != nil {
			b.Fatalf("apply %d: %+v", i, fut.Response())
		}
	}
	return time.Since(start), cpuTime(b) - cpu0
}
