package engine

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/wal"
)

// testAgent is a one-node cluster on 127.0.0.1 with free ports, hosting
// no reconciler (the tests build engines on it as they need).
type testAgent struct {
	t     testing.TB
	agent *cluster.Agent
}

// startTestAgent starts a single-node agent and waits until it leads and
// accepts proposals.
func startTestAgent(t testing.TB) *testAgent {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.NodeName = "ovi-engine-test"
	cfg.DataDir = t.TempDir()
	cfg.Ports = cluster.Ports{}
	cfg.BootstrapExpect = 1
	cfg.Version = "test"
	cfg.Logger = slog.New(slog.DiscardHandler)
	a, err := cluster.New(cfg)
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	ta := &testAgent{t: t, agent: a}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, err := a.Propose(ctx, []wal.Record{{Kind: wal.KindNote, Time: time.Now().UTC(), Note: &wal.Note{Text: "test agent up"}}})
		if err == nil {
			return ta
		}
		select {
		case <-ctx.Done():
			t.Fatalf("agent never accepted a proposal: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// propose commits each group of records as one batch, in order.
func (ta *testAgent) propose(batches ...[]wal.Record) {
	ta.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, b := range batches {
		if _, err := ta.agent.Propose(ctx, b); err != nil {
			ta.t.Fatalf("propose: %v", err)
		}
	}
}
