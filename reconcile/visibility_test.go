package reconcile

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// TestFastCyclesDoNotLaunchWhatIsNotVisibleYet: cycles a few milliseconds
// apart (triggered by configuration changes or requests) all run inside
// EC2's eventual-consistency window; the launch must stay credited to its
// group however many there are.
func TestFastCyclesDoNotLaunchWhatIsNotVisibleYet(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.hideNew = 6 // the next six observations after the launch do not show it
	e := r.engine()
	for range 6 {
		r.run(e, Request{})
	}
	if got := r.cloud.byGroup(); got["web"] != 2 || r.cloud.count("create") != 1 {
		t.Fatalf("cloud = %v, creates = %d: launched again while the first launch was not visible", got, r.cloud.count("create"))
	}
}

// TestLaunchNeverSeenIsReplacedAfterTheVisibilityWindow: an instance that
// no observation shows long after its launch is taken as lost.
func TestLaunchNeverSeenIsReplacedAfterTheVisibilityWindow(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.hideNew = 1000
	now := time.Date(2025, 11, 25, 10, 30, 0, 0, time.UTC)
	e := r.engine(func(o *Options) {
		o.Now = func() time.Time { return now }
		o.LaunchVisibility = time.Minute
	})
	r.run(e, Request{})
	rep := r.run(e, Request{})
	if d := rep.Decisions[0]; d.Action.Action != wal.ActionHold {
		t.Fatalf("second cycle = %+v", d.Action)
	}
	now = now.Add(2 * time.Minute)
	for range DefaultConfirmations + 1 {
		r.run(e, Request{})
	}
	if r.cloud.count("create") != 2 {
		t.Fatalf("creates = %d, want the lost launch replaced once", r.cloud.count("create"))
	}
}

// historyState adds the WAL's launch history to the fake log's State.
type historyState struct{ *fakeLog }

func (h historyState) Launches(_ context.Context, since time.Time) ([]RecordedLaunch, error) {
	groups, seen := map[string]string{}, map[string]bool{}
	var out []RecordedLaunch
	for _, r := range h.all() {
		switch {
		case r.Kind == wal.KindObserved:
			seen[r.ResourceID] = true
		case r.Kind == wal.KindDecided && r.Decided.Action == wal.ActionCreate:
			groups[r.DecisionID] = r.Decided.Group
		case r.Kind == wal.KindExecuted && r.Executed.Action == wal.ActionCreate && !r.Time.Before(since):
			out = append(out, RecordedLaunch{Group: groups[r.DecisionID], IDs: r.Executed.ResourceIDs, At: r.Time})
		}
	}
	for i := range out {
		out[i].IDs = slices.DeleteFunc(out[i].IDs, func(id string) bool { return seen[id] })
	}
	return out, nil
}

// TestNewLeaderCreditsItsPredecessorsLaunches: the leader launched and
// recorded the outcome, then failed before EC2 showed the instances. The
// new leader has nothing to recover and an empty memory; the WAL's launch
// history must keep it from launching again.
func TestNewLeaderCreditsItsPredecessorsLaunches(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.hideNew = 6
	r.run(r.engine(), Request{}) // the old leader: launched, outcome committed
	e := r.engine(func(o *Options) { o.State = historyState{r.log} })
	for range 4 {
		r.run(e, Request{})
	}
	if got := r.cloud.byGroup(); got["web"] != 2 || r.cloud.count("create") != 1 {
		t.Fatalf("cloud = %v, creates = %d: the new leader launched again", got, r.cloud.count("create"))
	}
}

// TestRecentLaunchesSeenOnceAreNotCreditedAgain: instances launched a
// moment ago, observed, then deleted (scale down) must not come back as
// "launched, not visible yet" on a new leader: the group is refilled.
func TestRecentLaunchesSeenOnceAreNotCreditedAgain(t *testing.T) {
	r := newRig(t, webYAML)
	e := r.engine()
	r.run(e, Request{}) // launch 2
	r.run(e, Request{}) // observe them
	r.cloud.mu.Lock()
	for id := range r.cloud.instances {
		delete(r.cloud.instances, id) // gone, e.g. terminated by someone else
	}
	r.cloud.mu.Unlock()
	r.cloud.failures["create:web"] = &ProviderError{Code: "RequestLimitExceeded", Message: "slow down"}
	r.run(e, Request{}) // the old leader records them gone; its relaunch fails
	delete(r.cloud.failures, "create:web")
	e2 := r.engine(func(o *Options) { o.State = historyState{r.log} })
	r.run(e2, Request{})
	if got := r.cloud.byGroup(); got["web"] != 2 {
		t.Fatalf("cloud = %v: the new leader credited instances the WAL saw gone", got)
	}
}
