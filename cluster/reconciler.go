package cluster

import (
	"context"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Reconciler is the work an agent hosts: the agent gives it each term of
// leadership and the reconcile runs asked for through POST /v1/reconcile.
// It is handed to Agent.Start (the agent's second phase), so it may be
// built from the opened agent it serves; cmd/ovi/internal/engine is the
// one in use.
type Reconciler interface {
	// Lead runs once per leadership term, after Raft's Barrier (the FSM
	// then holds every entry of earlier terms); ctx ends with the term, and
	// the next term waits for Lead to return.
	Lead(ctx context.Context)
	// Reconcile serves POST /v1/reconcile on the leader: one run, every
	// record it commits passed to emit (streamed to the caller).
	Reconcile(ctx context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error
}

// ReconcileFunc is a Reconciler that serves POST /v1/reconcile with the
// function and does nothing while it leads (tests, tools).
type ReconcileFunc func(ctx context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error

// Lead implements Reconciler: nothing to do while leading.
func (ReconcileFunc) Lead(context.Context) {}

// Reconcile implements Reconciler.
func (f ReconcileFunc) Reconcile(ctx context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
	return f(ctx, req, emit)
}
