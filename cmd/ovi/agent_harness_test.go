package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// testAgent is a one-node cluster on 127.0.0.1 with free ports.
type testAgent struct {
	t     *testing.T
	agent *cluster.Agent
	addr  string // http://host:port
}

// startTestAgent starts a single-node agent; reconcileFn (may be nil)
// serves POST /v1/reconcile.
func startTestAgent(t *testing.T, reconcileFn cluster.ReconcileFunc) *testAgent {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.NodeName = "ovi-test"
	cfg.DataDir = t.TempDir()
	cfg.Ports = cluster.Ports{}
	cfg.BootstrapExpect = 1
	cfg.Version = "test"
	cfg.Logger = slog.New(slog.DiscardHandler)
	// The agent's own records (its leader record) are stamped on the
	// fixtures' clock, before every fixture record.
	cfg.ClockOffset = time.Until(at(-2 * time.Hour))
	a, err := cluster.Open(cfg)
	if err != nil {
		t.Fatalf("open agent: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	var rec cluster.Reconciler
	if reconcileFn != nil {
		rec = reconcileFn
	}
	if err := a.Start(rec); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	ta := &testAgent{t: t, agent: a, addr: "http://" + a.HTTPAddr()}
	ta.waitLeader()
	return ta
}

// waitLeader polls until the node leads, has recorded its leadership
// (so fixture revisions do not depend on when that lands) and accepts
// proposals.
func (ta *testAgent) waitLeader() {
	ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !ta.hasLeaderRecord(ctx) {
		select {
		case <-ctx.Done():
			ta.t.Fatalf("agent never recorded its leadership: %v", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := ta.agent.Propose(ctx, []wal.Record{{Kind: wal.KindNote, Time: at(-time.Hour), Note: &wal.Note{Text: "test agent up"}}}); err != nil {
		ta.t.Fatalf("agent never accepted a proposal: %v", err)
	}
}

// propose commits each group of records as one batch, in order, and
// returns the revision of each batch.
func (ta *testAgent) propose(batches ...[]wal.Record) []uint64 {
	ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	revs := make([]uint64, 0, len(batches))
	for _, b := range batches {
		rev, err := ta.agent.Propose(ctx, b)
		if err != nil {
			ta.t.Fatalf("propose: %v", err)
		}
		revs = append(revs, rev)
	}
	return revs
}

// proposeEntries commits fixture entries, one batch per distinct
// fixture revision.
func (ta *testAgent) proposeEntries(entries []walEntry) []uint64 {
	ta.t.Helper()
	var batches [][]wal.Record
	var last uint64
	for i, e := range entries {
		if i == 0 || e.Revision.Main != last {
			batches = append(batches, nil)
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], e.Record)
		last = e.Revision.Main
	}
	return ta.propose(batches...)
}

// run runs the CLI against the agent (no colour) and returns exit code,
// stdout and stderr.
func (ta *testAgent) run(args ...string) (int, string, string) {
	ta.t.Helper()
	return runCLI(ta.t, append([]string{"--address", ta.addr, "--no-color"}, args...)...)
}

// emitAll is a reconcile hook that emits the given records.
func emitAll(records []wal.Record) cluster.ReconcileFunc {
	return func(_ context.Context, _ transport.ReconcileRequest, emit func(wal.Record)) error {
		for _, rec := range records {
			emit(rec)
		}
		return nil
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// runWithContext runs the CLI with ctx, stdout to out, stderr discarded.
func runWithContext(ctx context.Context, out io.Writer, args ...string) int {
	return run(ctx, append([]string{"ovi"}, args...), out, io.Discard)
}

// waitUntil polls cond until it holds or 20 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hasLeaderRecord reports whether the agent's audit log holds a leader record.
func (ta *testAgent) hasLeaderRecord(ctx context.Context) bool {
	c, err := transport.NewClient(ta.agent.HTTPAddr(), transport.ClientOptions{Timeout: time.Second})
	if err != nil {
		ta.t.Fatal(err)
	}
	resp, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindLeadership}})
	return err == nil && len(resp.Records) > 0
}
