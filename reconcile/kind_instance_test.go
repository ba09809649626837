package reconcile

import (
	"testing"

	"github.com/yairfalse/ovi/wal"
)

func stopped(r wal.Resource) wal.Resource {
	r.State = "stopped"
	return r
}

// TestStoppedInstanceIsDrift: a managed instance someone stopped is
// drifted and started again; a blessed one is reported, never started.
func TestStoppedInstanceIsDrift(t *testing.T) {
	obs := []wal.Resource{stopped(inst("i-1", "web", "t3.micro", 1)),
		stopped(inst("i-2", "web", "t3.micro", 2, wal.TagBlessed, "true"))}
	p := Decide(testConfig(deleteOn, webGroup(2)), obs, Memory{})
	wantActions(t, p,
		"start web/i-1: Start: drifted: stopped, desired running",
		"refuse web/i-2: Protected: tagged ovi:blessed (state differs: stopped, desired running; a blessed instance is started by hand, never by Ovi)")
	if p.Counts.Drifted != 2 || p.Counts.InSync != 0 || p.Counts.Protected != 1 {
		t.Fatalf("counts = %+v", p.Counts)
	}
}

// TestStoppedInstancesAreStartedInOneBatch: the engine starts every
// stopped instance with one call and records the outcome.
func TestStoppedInstancesAreStartedInOneBatch(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(stopped(inst("i-1", "web", "t3.micro", 1)), stopped(inst("i-2", "web", "t3.micro", 2)))
	rep := r.run(r.engine(), Request{})
	if n := r.cloud.count("start"); n != 1 {
		t.Fatalf("%d start calls, want 1 batch", n)
	}
	for _, d := range rep.Decisions {
		if d.Action.Action == wal.ActionStart && d.Status != StatusExecuted {
			t.Fatalf("start %s: %s %s", d.Action.ResourceID, d.Status, d.Message)
		}
	}
	obs, _ := r.cloud.Observe(t.Context())
	for _, o := range obs {
		if o.State != "running" {
			t.Fatalf("%s is %s after the cycle", o.ID, o.State)
		}
	}
}
