package engine

import (
	"context"
	"errors"
	"time"
)

// Lead implements cluster.Reconciler: the agent calls it once per term of
// leadership, after the Barrier; ctx ends with the term. It finishes what
// a previous leader left open, keeps the infrastructure file in force and
// reconciles every interval. A SIGHUP reload of interval or
// infrastructure applies within the term. Without Options.Continuous it
// returns at once: the engine acts only when asked.
func (e *Engine) Lead(ctx context.Context) {
	if !e.continuous {
		return
	}
	defer e.metrics.TermEnded()
	if _, err := e.eng.Recover(ctx); err != nil && ctx.Err() == nil {
		e.logger.Warn("reconcile: recovering open intents failed; the next cycle retries", "error", err)
	}
	reloaded := e.agent.Reloaded()
	path := e.agent.Infrastructure()
	stop := e.watch(ctx, path, false)
	go e.followReloads(ctx, reloaded, e.agent.Interval(), path, stop)
	err := e.eng.Loop(ctx, e.agent.Interval, e.trigger)
	if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		e.logger.Error("reconcile loop stopped", "error", err)
	}
}

// watch keeps the infrastructure file at path (if any) in force until the
// returned function is called or ctx ends. At the start of a term the file
// wins only if it is newer than the configuration in force; a file named
// by a reload (adopt) wins whenever it differs.
func (e *Engine) watch(ctx context.Context, path string, adopt bool) context.CancelFunc {
	wctx, cancel := context.WithCancel(ctx)
	if path == "" {
		return cancel
	}
	w := newConfigWatcher(e.agent, path, e.logger, e.kick)
	w.sync(wctx, adopt)
	go w.run(wctx)
	return cancel
}

// followReloads applies reloads for the rest of the term: a new interval
// ends the current wait (a cycle runs, then the loop waits the new
// interval); a new infrastructure path replaces the file watcher.
func (e *Engine) followReloads(ctx context.Context, reloaded <-chan struct{}, interval time.Duration, path string, stop context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			stop()
			return
		case <-reloaded:
		}
		reloaded = e.agent.Reloaded()
		if d := e.agent.Interval(); d != interval {
			interval = d
			e.logger.Info("reconcile: interval changed; next cycle now", "interval", d)
			e.kick()
		}
		if p := e.agent.Infrastructure(); p != path {
			stop()
			path = p
			e.logger.Info("reconcile: watching a new infrastructure file", "path", p)
			stop = e.watch(ctx, path, true)
		}
	}
}
