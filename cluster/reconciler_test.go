package cluster

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// leadRecorder is a Reconciler that records its terms.
type leadRecorder struct {
	agent   atomic.Pointer[Agent]
	leads   atomic.Int32
	ready   atomic.Bool // the agent had passed its Barrier when Lead ran
	stopped chan struct{}
}

func (r *leadRecorder) Lead(ctx context.Context) {
	r.leads.Add(1)
	r.ready.Store(r.agent.Load().readyTerm.Load() != 0)
	<-ctx.Done()
	close(r.stopped)
}

func (r *leadRecorder) Reconcile(context.Context, transport.ReconcileRequest, func(wal.Record)) error {
	return nil
}

// The two phases: a reconciler built from the opened agent is handed to
// Start; it leads after the Barrier, and its term ends with the agent.
func TestStartHandsTheReconcilerEachTerm(t *testing.T) {
	a, err := Open(testConfig(t, "phases", 1))
	if err != nil {
		t.Fatal(err)
	}
	rec := &leadRecorder{stopped: make(chan struct{})}
	rec.agent.Store(a)
	if a.HTTPAddr() == "" || a.NodeName() != "phases" {
		t.Fatalf("an opened agent knows its addresses: http %q, node %q", a.HTTPAddr(), a.NodeName())
	}
	if err := a.Start(rec); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(rec); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start = %v, want ErrStarted", err)
	}
	waitFor(t, "the reconciler's term", 10*time.Second, func() bool { return rec.leads.Load() == 1 })
	if !rec.ready.Load() {
		t.Fatal("Lead ran before the leader's Barrier")
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rec.stopped:
	default:
		t.Fatal("Shutdown returned while the reconciler's term was still running")
	}
	if err := a.Start(rec); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Start after Shutdown = %v, want ErrShutdown", err)
	}
}

// An opened agent that is never started shuts down cleanly and frees its
// data directory for the next agent.
func TestOpenedAgentShutsDownWithoutStart(t *testing.T) {
	cfg := testConfig(t, "unstarted", 1)
	a, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown of an opened agent: %v", err)
	}
	b := startAgent(t, cfg)
	waitFor(t, "leadership after reopening", 10*time.Second, func() bool { return b.IsLeader() })
}
