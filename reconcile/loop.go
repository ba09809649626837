package reconcile

import (
	"context"
	"errors"
	"math"
	"time"
)

// Jitter is the spread of the interval between cycles: ±10 %.
const Jitter = 0.10

// Loop runs cycles against the stored configuration until ctx is done:
// one at once, then every interval (±10 % jitter, from Options.Rand), and
// immediately whenever trigger fires (a configuration change or an
// explicit request). Cycles never overlap (Run takes the engine's turn). A
// cycle that fails or has failed actions is retried sooner, with
// exponential backoff from Options.MinBackoff up to the interval. The
// cluster runs Loop on the leader only and cancels ctx when leadership is
// lost. interval is read after every cycle, so a reloaded interval holds
// from the next wait on (fire trigger to end the current wait at once).
// Loop returns ctx's error.
func (e *Engine) Loop(ctx context.Context, interval func() time.Duration, trigger <-chan struct{}) error {
	failures := 0
	for {
		if interval() <= 0 {
			return errors.New("reconcile: loop interval must be positive")
		}
		rep, err := e.Run(ctx, Request{})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, ErrNoConfig):
			failures = 0
			e.opts.Logger.Info("reconcile: no configuration in force; waiting")
		case err != nil || rep.Failures > 0:
			failures++
			e.opts.Logger.Warn("reconcile: cycle did not complete cleanly", "cycle", rep.CycleID,
				"failures", rep.Failures, "error", err, "consecutive", failures)
		default:
			failures = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-trigger:
		case <-e.opts.After(e.nextDelay(interval(), failures)):
		}
	}
}

// nextDelay is the wait before the next cycle: the interval with ±10 %
// jitter, or after consecutive failures MinBackoff·2^(failures-1) (also
// jittered), whichever is shorter.
func (e *Engine) nextDelay(interval time.Duration, failures int) time.Duration {
	d := interval
	if failures > 0 {
		backoff := float64(e.opts.MinBackoff) * math.Pow(2, float64(min(failures-1, 30)))
		d = time.Duration(min(backoff, float64(interval)))
	}
	e.randMu.Lock()
	f := e.opts.Rand.Float64()
	e.randMu.Unlock()
	return time.Duration(float64(d) * (1 - Jitter + 2*Jitter*f))
}
