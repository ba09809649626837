package fsm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/yairfalse/ovi/wal"
)

// raftStores are the stores a Raft node keeps across restarts.
type raftStores struct {
	logs   raft.LogStore
	stable raft.StableStore
	snaps  raft.SnapshotStore
	addr   raft.ServerAddress
}

func inmemRaftStores() raftStores {
	mem := raft.NewInmemStore()
	return raftStores{logs: mem, stable: mem, snaps: raft.NewInmemSnapshotStore(), addr: raft.NewInmemAddr()}
}

// raftConfig is a single-node configuration with short timeouts. maxBatch
// bounds how many logs the leader appends and the FSM applies at once.
func raftConfig(maxBatch int) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = "n1"
	c.HeartbeatTimeout = 50 * time.Millisecond
	c.ElectionTimeout = 50 * time.Millisecond
	c.LeaderLeaseTimeout = 50 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.MaxAppendEntries = maxBatch
	c.BatchApplyCh = true
	c.SnapshotThreshold = 1 << 40 // snapshots only when asked
	c.SnapshotInterval = time.Hour
	c.LogOutput = io.Discard
	c.LogLevel = "ERROR"
	return c
}

// startRaft starts (bootstrapping if new) a single-node Raft over fsm and
// waits until it leads.
func startRaft(tb testing.TB, fsm raft.FSM, st raftStores, conf *raft.Config) *raft.Raft {
	tb.Helper()
	_, trans := raft.NewInmemTransport(st.addr)
	has, err := raft.HasExistingState(st.logs, st.stable, st.snaps)
	if err != nil {
		tb.Fatalf("existing state: %v", err)
	}
	if !has {
		cfg := raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: st.addr}}}
		if err := raft.BootstrapCluster(conf, st.logs, st.stable, st.snaps, trans, cfg); err != nil {
			tb.Fatalf("bootstrap: %v", err)
		}
	}
	r, err := raft.NewRaft(conf, fsm, st.logs, st.stable, st.snaps, trans)
	if err != nil {
		tb.Fatalf("new raft: %v", err)
	}
	waitFor(tb, 10*time.Second, "leadership", func() bool { return r.State() == raft.Leader })
	return r
}

func stopRaft(tb testing.TB, r *raft.Raft) {
	tb.Helper()
	if err := r.Shutdown().Error(); err != nil {
		tb.Fatalf("raft shutdown: %v", err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// proposeAll submits cmds concurrently (so Raft batches them) and returns
// each future's index and ApplyResult.
func proposeAll(tb testing.TB, r *raft.Raft, cmds [][]byte) ([]uint64, []ApplyResult) {
	tb.Helper()
	futures := make([]raft.ApplyFuture, len(cmds))
	for i, c := range cmds {
		futures[i] = r.Apply(c, 10*time.Second)
	}
	idx := make([]uint64, len(cmds))
	res := make([]ApplyResult, len(cmds))
	for i, fut := range futures {
		if err := fut.Error(); err != nil {
			tb.Fatalf("raft apply %d: %v", i, err)
		}
		ar, ok := fut.Response().(ApplyResult)
		if !ok {
			tb.Fatalf("response %d is %T, want fsm.ApplyResult", i, fut.Response())
		}
		idx[i], res[i] = fut.Index(), ar
	}
	return idx, res
}

func encodeCmd(tb testing.TB, recs ...wal.Record) []byte {
	tb.Helper()
	data, err := wal.EncodeBatch(&wal.Batch{Records: recs})
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return data
}

// TestRaftSingleNode applies batches through a real Raft node: every
// revision is the log's index, a garbage command is an error value that
// does not stop the node, and a restart (same store: replay is skipped;
// empty store: snapshot restore then replay) ends in the same state.
func TestRaftSingleNode(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, filepath.Join(dir, "a.db"))
	f := New(store, nil)
	st := inmemRaftStores()
	r := startRaft(t, f, st, raftConfig(64))

	var cmds [][]byte
	for i := range 150 {
		cmds = append(cmds, encodeCmd(t, observedRec(fmt.Sprintf("i-%03d", i), wal.ChangeNew, "t3.micro")))
	}
	cmds[70] = []byte("garbage")
	idx, res := proposeAll(t, r, cmds)
	for i := range res {
		if res[i].Revision != idx[i] {
			t.Fatalf("command %d: revision %d, want log index %d", i, res[i].Revision, idx[i])
		}
		if (i == 70) != (res[i].Err != nil) {
			t.Fatalf("command %d: err %v", i, res[i].Err)
		}
		kv, err := store.Get(fmt.Sprintf("resources/i-%03d", i), 0)
		if i != 70 && (err != nil || kv.ModRevision.Main != idx[i]) {
			t.Fatalf("command %d: stored at %v (%v), want revision %d", i, kv.ModRevision, err, idx[i])
		}
	}
	if err := r.Barrier(10 * time.Second).Error(); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	if err := r.Snapshot().Error(); err != nil {
		t.Fatalf("raft snapshot: %v", err)
	}
	more := [][]byte{encodeCmd(t, configRec("v2")), encodeCmd(t, decidedRec("d-1", "i-001", wal.ActionDelete, false))}
	lastIdx, _ := proposeAll(t, r, more)
	want := everything(t, f)
	stopRaft(t, r)
	if err := store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}

	restarts := []struct {
		name      string
		db        string
		noRestore bool
	}{
		// Raft restores the snapshot (rolling the store back), then replays.
		{"same store", "a.db", false},
		// The store is durable and ahead of every snapshot: Raft skips the
		// restore and replays the log after the snapshot; the FSM skips
		// what the store holds.
		{"same store, no restore on start", "a.db", true},
		// A lost store is rebuilt from the snapshot and the log.
		{"empty store", "empty.db", false},
	}
	for _, rs := range restarts {
		t.Run(rs.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(dir, rs.db))
			g := New(s, nil)
			conf := raftConfig(64)
			conf.NoSnapshotRestoreOnStart = rs.noRestore
			r := startRaft(t, g, st, conf)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			last := lastIdx[len(lastIdx)-1]
			if err := s.WaitApplied(ctx, last); err != nil {
				t.Fatalf("wait for replay: %v", err)
			}
			waitFor(t, 10*time.Second, "raft to replay its log", func() bool { return r.AppliedIndex() >= last })
			if got := everythingBut(t, g); !reflect.DeepEqual(got, everythingBut(t, nil, want...)) {
				t.Fatalf("state after restart differs:\n got  %v\n want %v", got, want)
			}
			stopRaft(t, r)
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		})
	}
}

// everythingBut drops the first line (the applied index, which moves past
// the new leader's no-op/config entries) from everything(f) or from lines.
func everythingBut(tb testing.TB, f *FSM, lines ...string) []string {
	tb.Helper()
	if f != nil {
		lines = everything(tb, f)
	}
	return lines[1:]
}

// TestRaftGarbageDoesNotStopLaterBatches: after a bad command the FSM keeps
// applying, and its error is the response of that command only.
func TestRaftGarbageDoesNotStopLaterBatches(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { _ = store.Close() })
	f := New(store, nil)
	r := startRaft(t, f, inmemRaftStores(), raftConfig(16))
	defer stopRaft(t, r)
	_, res := proposeAll(t, r, [][]byte{{wal.FormatV1, 0xff}})
	if !errors.Is(res[0].Err, wal.ErrCorrupt) {
		t.Fatalf("garbage: %v, want wal.ErrCorrupt", res[0].Err)
	}
	idx, res := proposeAll(t, r, [][]byte{encodeCmd(t, noteRec("i-1", "after"))})
	if res[0].Err != nil || res[0].Revision != idx[0] {
		t.Fatalf("after garbage: %+v, want revision %d", res[0], idx[0])
	}
	if got := mustGet(t, store, "notes/i-1", 0); got.Note.Text != "after" {
		t.Fatalf("note %+v", got)
	}
	if err := f.Err(); err != nil {
		t.Fatalf("fsm stopped: %v", err)
	}
}
