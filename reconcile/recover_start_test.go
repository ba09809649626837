package reconcile

import (
	"context"
	"errors"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// crashStart runs one cycle that starts two stopped members and crashes at
// the given point of the StartInstances call: two open start decisions.
func crashStart(t *testing.T, at crashPoint) (*rig, int) {
	t.Helper()
	r := newRig(t, webYAML)
	r.cloud.add(stopped(inst("i-1", "web", "t3.micro", 1)), stopped(inst("i-2", "web", "t3.micro", 2)))
	r.cloud.crashAt, r.cloud.crashOn = at, "start"
	if _, err := r.engine().Run(context.Background(), Request{Config: &r.cfg}); !errors.Is(err, errCrashed) {
		t.Fatalf("crashed run returned %v", err)
	}
	open, _ := r.log.OpenIntents(context.Background())
	if len(open) != 2 || open[0].Executing == nil || open[1].Executing == nil {
		t.Fatalf("want two open start intents after the crash, have %+v", open)
	}
	return r, r.log.len()
}

// TestRecoverStartAlreadyDone: StartInstances reached EC2, the outcome was
// never recorded. The new leader sees both instances running and records
// them executed (recovered) without calling StartInstances again, and the
// next cycle decides nothing for them.
func TestRecoverStartAlreadyDone(t *testing.T) {
	r, mark := crashStart(t, crashAfterCall)
	e := r.restart()
	rep, err := e.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, r.log.since(mark), "executed:start", "executed:start")
	for _, rec := range r.log.since(mark) {
		if !rec.Executed.Recovered {
			t.Errorf("%s: %+v, want recovered", rec.ResourceID, rec.Executed)
		}
	}
	if n := r.cloud.count("start"); n != 1 {
		t.Fatalf("%d StartInstances calls, want the interrupted one only", n)
	}
	if len(rep.Decisions) != 2 || rep.Decisions[0].Status != StatusExecuted || !rep.Decisions[0].Recovered {
		t.Fatalf("report %+v", rep.Decisions)
	}
	next := r.run(e, Request{})
	for _, d := range next.Decisions {
		if d.Action.Action == wal.ActionStart {
			t.Fatalf("the next cycle decided %s again", d.Action.ResourceID)
		}
	}
}

// TestRecoverStartNeverSent: the intent was committed but the call never
// left: recovery starts both again, in one call, under the same decisions,
// and a member blessed meanwhile is not started (as Decide would refuse).
func TestRecoverStartNeverSent(t *testing.T) {
	r, mark := crashStart(t, crashAfterIntent)
	e := r.restart()
	r.cloud.add(stopped(inst("i-2", "web", "t3.micro", 2, wal.TagBlessed, "true")))
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.log.since(mark)
	wantKinds(t, got, "failed:start:Protected", "executing:start", "executed:start")
	if got[1].ResourceID != "i-1" || got[1].Executing.Attempt != 2 || got[2].ResourceID != "i-1" {
		t.Fatalf("retry %+v / %+v", got[1], got[2])
	}
	if n := r.cloud.count("start"); n != 1 {
		t.Fatalf("%d StartInstances calls, want 1", n)
	}
	obs, _ := r.cloud.Observe(t.Context())
	for _, o := range obs {
		if want := map[string]string{"i-1": "running", "i-2": "stopped"}[o.ID]; o.State != want {
			t.Errorf("%s is %s, want %s", o.ID, o.State, want)
		}
	}
}
