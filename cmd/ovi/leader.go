package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// reconciler runs an agent's reconcile engine: the continuous loop while
// the agent leads, and the runs asked for through POST /v1/reconcile.
type reconciler struct {
	logger  *slog.Logger
	metrics *agentMetrics
	ready   chan struct{} // closed once agent and engine are set
	agent   *cluster.Agent
	eng     *reconcile.Engine
	trigger chan struct{}
}

func newReconciler(logger *slog.Logger, m *agentMetrics) *reconciler {
	return &reconciler{logger: logger, metrics: m, ready: make(chan struct{}), trigger: make(chan struct{}, 1)}
}

// start completes the wiring once the agent exists; the hooks wait for it.
func (r *reconciler) start(agent *cluster.Agent, providers providerFactory) error {
	eng, err := newAgentEngine(agent, providers, r.logger, r.metrics)
	if err != nil {
		return err
	}
	r.agent, r.eng = agent, eng
	close(r.ready)
	return nil
}

// wait blocks until start has run or ctx is done.
func (r *reconciler) wait(ctx context.Context) error {
	select {
	case <-r.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("reconciler not started: %w", ctx.Err())
	}
}

// kick asks the loop for a cycle now (coalesced).
func (r *reconciler) kick() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// onLeader is the agent's leadership hook (run after the Barrier, once per
// term; ctx ends with the term): finish what a previous leader left open,
// keep the configuration file in force, and reconcile every interval. A
// SIGHUP reload of interval or infrastructure applies within the term.
func (r *reconciler) onLeader(ctx context.Context) {
	if r.wait(ctx) != nil {
		return
	}
	defer r.metrics.termEnded()
	if _, err := r.eng.Recover(ctx); err != nil && ctx.Err() == nil {
		r.logger.Warn("reconcile: recovering open intents failed; the next cycle retries", "error", err)
	}
	reloaded := r.agent.Reloaded()
	path := r.agent.Infrastructure()
	stop := r.watch(ctx, path, false)
	go r.followReloads(ctx, reloaded, r.agent.Interval(), path, stop)
	err := r.eng.Loop(ctx, r.agent.Interval, r.trigger)
	if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		r.logger.Error("reconcile loop stopped", "error", err)
	}
}

// watch keeps the infrastructure file at path (if any) in force until the
// returned function is called or ctx ends. At the start of a term the file
// wins only if it is newer than the configuration in force; a file named
// by a reload (adopt) wins whenever it differs.
func (r *reconciler) watch(ctx context.Context, path string, adopt bool) context.CancelFunc {
	wctx, cancel := context.WithCancel(ctx)
	if path == "" {
		return cancel
	}
	w := newConfigWatcher(r.agent, path, r.logger, r.kick)
	w.sync(wctx, adopt)
	go w.run(wctx)
	return cancel
}

// followReloads applies reloads for the rest of the term: a new interval
// ends the current wait (a cycle runs, then the loop waits the new
// interval); a new infrastructure path replaces the file watcher.
func (r *reconciler) followReloads(ctx context.Context, reloaded <-chan struct{}, interval time.Duration, path string, stop context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			stop()
			return
		case <-reloaded:
		}
		reloaded = r.agent.Reloaded()
		if d := r.agent.Interval(); d != interval {
			interval = d
			r.logger.Info("reconcile: interval changed; next cycle now", "interval", d)
			r.kick()
		}
		if p := r.agent.Infrastructure(); p != path {
			stop()
			path = p
			r.logger.Info("reconcile: watching a new infrastructure file", "path", p)
			stop = r.watch(ctx, path, true)
		}
	}
}

// reconcile serves POST /v1/reconcile on the leader: one cycle, every
// record it commits streamed to the caller through emit.
func (r *reconciler) reconcile(ctx context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
	if err := r.wait(ctx); err != nil {
		return err
	}
	var cfg *wal.ConfigApplied
	if req.Config != nil {
		cfg = &wal.ConfigApplied{Source: req.Source, Digest: req.Digest, Config: *req.Config}
	}
	_, err := r.eng.Run(withDesired(ctx, cfg), reconcile.Request{DryRun: req.DryRun, Config: cfg, Progress: emit})
	return err
}
