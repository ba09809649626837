package reconcile

import (
	"context"
	"time"
)

// DefaultLaunchVisibility: a launched instance no observation has shown
// yet counts towards its group for at least this long (and at least
// Confirmations cycles), however fast cycles follow each other.
const DefaultLaunchVisibility = 2 * time.Minute

// creditRecentLaunches keeps a launch that no observation has shown yet
// credited to its group while it is younger than Options.LaunchVisibility.
// Decide alone drops the credit after Confirmations cycles, and cycles can
// follow each other within a second (a configuration change, an explicit
// request, a retry after a failure), well inside EC2's eventual-consistency
// window: without this floor a second cycle would see the group short and
// launch the same instances again. Older launches fall back to Decide's
// rule, so an instance EC2 really lost is replaced. Called with the turn
// held, before Decide; it also forgets launches the memory no longer holds.
func (e *Engine) creditRecentLaunches(now time.Time) {
	for id, at := range e.launchedAt {
		l, ok := e.memory.Launched[id]
		switch {
		case !ok:
			delete(e.launchedAt, id)
		case now.Sub(at) < e.opts.LaunchVisibility:
			l.Cycles = 0
			e.memory.Launched[id] = l
		}
	}
}

// LaunchHistory is implemented by a State that can list the launches the
// WAL recorded (executed creates) since a time whose instances no
// observation has recorded since. The engine credits them, so a launch a
// previous leader finished just before it failed is not taken for missing
// while EC2 still hides it (the engine's own memory of it died with that
// leader).
type LaunchHistory interface {
	Launches(ctx context.Context, since time.Time) ([]RecordedLaunch, error)
}

// RecordedLaunch is one executed create: the instances it launched for a
// group that no observation has shown yet, and when its outcome was
// recorded.
type RecordedLaunch struct {
	Group string
	IDs   []string
	At    time.Time
}

// recallLaunches credits the WAL's recent launches that are not yet
// visible and that the memory does not hold (see LaunchHistory). Called
// with the turn held, before a real cycle.
func (e *Engine) recallLaunches(ctx context.Context) {
	h, ok := e.opts.State.(LaunchHistory)
	if !ok {
		return
	}
	launches, err := h.Launches(ctx, e.opts.Now().Add(-e.opts.LaunchVisibility))
	if err != nil {
		e.opts.Logger.Warn("reconcile: reading recent launches failed", "error", err)
		return
	}
	e.ensureMemory()
	for _, l := range launches {
		for _, id := range l.IDs {
			if _, remembered := e.memory.Launched[id]; !remembered {
				e.memory.Launched[id] = Launch{Group: l.Group}
				e.launchedAt[id] = l.At
			}
		}
	}
}
