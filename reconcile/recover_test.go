package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// crashRun runs one cycle that crashes at the given point of the create.
func crashRun(t *testing.T, r *rig, at crashPoint) {
	t.Helper()
	r.cloud.crashAt, r.cloud.crashOn = at, "create"
	_, err := r.engine().Run(context.Background(), Request{Config: &r.cfg})
	if !errors.Is(err, errCrashed) {
		t.Fatalf("crashed run returned %v", err)
	}
	open, _ := r.log.OpenIntents(context.Background())
	if len(open) != 1 || open[0].Executing == nil {
		t.Fatalf("want one open intent after the crash, have %+v", open)
	}
}

func TestRecoverAfterCrashAfterIntentLaunchesMissingOnce(t *testing.T) {
	r := newRig(t, webYAML)
	crashRun(t, r, crashAfterIntent)
	if n := len(r.cloud.byGroup()); n != 0 || r.cloud.count("create") != 0 {
		t.Fatalf("the crashed call reached the cloud: %v", r.cloud.byGroup())
	}
	mark := r.log.len()
	e := r.restart()
	rep, err := e.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, r.log.since(mark), "executing:create", "executed:create")
	recs := r.log.since(mark)
	intent := r.log.all()[mark-1]
	if recs[0].Executing.ClientToken != intent.Executing.ClientToken || recs[0].Executing.Attempt != 2 {
		t.Errorf("retry intent = %+v, first = %+v", recs[0].Executing, intent.Executing)
	}
	if ex := recs[1].Executed; !ex.Recovered || len(ex.ResourceIDs) != 2 || recs[1].CycleID != intent.CycleID {
		t.Errorf("executed = %+v (cycle %q)", ex, recs[1].CycleID)
	}
	if r.cloud.count("create") != 1 || r.cloud.byGroup()["web"] != 2 {
		t.Fatalf("creates = %d, cloud = %v", r.cloud.count("create"), r.cloud.byGroup())
	}
	if len(rep.Decisions) != 1 || !rep.Decisions[0].Recovered || rep.Decisions[0].Status != StatusExecuted {
		t.Errorf("report = %+v", rep.Decisions)
	}
	// The next cycles change nothing: exactly the desired count, no duplicates.
	r.run(e, Request{})
	r.run(e, Request{})
	if r.cloud.count("create") != 1 || r.cloud.byGroup()["web"] != 2 || r.cloud.callsAfterCrash != 0 {
		t.Fatalf("creates = %d, cloud = %v, calls after crash = %d", r.cloud.count("create"), r.cloud.byGroup(),
			r.cloud.callsAfterCrash)
	}
}

func TestRecoverAfterCrashAfterCallLaunchesNothingNew(t *testing.T) {
	r := newRig(t, webYAML)
	crashRun(t, r, crashAfterCall)
	if r.cloud.byGroup()["web"] != 2 {
		t.Fatalf("cloud = %v", r.cloud.byGroup())
	}
	mark := r.log.len()
	e := r.restart()
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, r.log.since(mark), "executed:create")
	ex := r.log.since(mark)[0].Executed
	if !ex.Recovered || len(ex.ResourceIDs) != 2 || ex.Message != "Recovered: 2 instances already launched" {
		t.Errorf("executed = %+v", ex)
	}
	r.run(e, Request{})
	if r.cloud.count("create") != 1 || r.cloud.byGroup()["web"] != 2 || r.cloud.callsAfterCrash != 0 {
		t.Fatalf("creates = %d, cloud = %v", r.cloud.count("create"), r.cloud.byGroup())
	}
}

// The ovi:decision tag search can miss instances EC2 has not indexed yet;
// then the ClientToken is the guard: the repeated launch returns the same
// instances instead of new ones.
func TestRecoverClientTokenGuardsWhenTagSearchMisses(t *testing.T) {
	r := newRig(t, webYAML)
	crashRun(t, r, crashAfterCall)
	r.cloud.findMisses = true
	e := r.restart()
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.cloud.count("create") != 2 || r.cloud.byGroup()["web"] != 2 {
		t.Fatalf("creates = %d, cloud = %v", r.cloud.count("create"), r.cloud.byGroup())
	}
	if r.cloud.creates[0].ClientToken != r.cloud.creates[1].ClientToken {
		t.Error("the retry used another ClientToken")
	}
}

func TestRunResolvesItsOwnOpenIntentsFirst(t *testing.T) {
	r := newRig(t, webYAML)
	crashRun(t, r, crashAfterCall)
	e := r.restart()
	rep := r.run(e, Request{}) // no explicit Recover
	if len(rep.Decisions) == 0 || !rep.Decisions[0].Recovered {
		t.Fatalf("run did not recover first: %+v", rep.Decisions)
	}
	if r.cloud.count("create") != 1 || r.cloud.byGroup()["web"] != 2 {
		t.Fatalf("creates = %d, cloud = %v", r.cloud.count("create"), r.cloud.byGroup())
	}
}

func TestRecoverAbandonsDecisionsWithoutIntent(t *testing.T) {
	r := newRig(t, webYAML)
	r.log.failAt = 4 // 1 config, 2 observed, 3 decided; the intent proposal fails
	r.cloud.add(inst("i-old", "gone", "t3.micro", 1))
	_, err := r.engine(func(o *Options) { o.Confirmations = 1 }).Run(context.Background(), Request{Config: &r.cfg})
	if !errors.Is(err, errNotLeader) {
		t.Fatalf("err = %v", err)
	}
	open, _ := r.log.OpenIntents(context.Background())
	if len(open) != 2 || open[0].Executing != nil || open[1].Executing != nil {
		t.Fatalf("open = %+v", open)
	}
	r.log.failAt = 0
	mark := r.log.len()
	rep, err := r.engine().Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, r.log.since(mark), "failed:create:Abandoned", "failed:delete:Abandoned")
	if rep.Decisions[0].Code != CodeAbandoned || !r.log.since(mark)[0].Failed.Retryable {
		t.Errorf("report = %+v", rep.Decisions)
	}
	if n := r.cloud.count("create") + r.cloud.count("delete"); n != 0 {
		t.Errorf("abandoning made %d calls", n)
	}
}

func TestRecoverDeleteChecksTheCloudFirst(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(inst("i-a", "gone", "t3.micro", 1), inst("i-b", "gone", "t3.micro", 2))
	r.cloud.crashAt, r.cloud.crashOn = crashAfterCall, "delete"
	_, err := r.engine(func(o *Options) { o.Confirmations = 1 }).Run(context.Background(), Request{Config: &r.cfg})
	if !errors.Is(err, errCrashed) {
		t.Fatalf("err = %v", err)
	}
	e := r.restart()
	// i-b reappears, blessed meanwhile (someone restored and protected it).
	r.cloud.add(inst("i-b", "gone", "t3.micro", 2, wal.TagBlessed, "true"))
	mark := r.log.len()
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, r.log.since(mark), "executed:delete", "failed:delete:Protected")
	if !r.log.since(mark)[0].Executed.Recovered || r.cloud.count("delete") != 1 {
		t.Errorf("deletes = %d", r.cloud.count("delete"))
	}
}

// A partial launch (less capacity than asked) interrupted before its
// outcome: recovery records what is there and launches nothing; the next
// cycle creates the remainder under a new decision (a new token).
func TestRecoverPartialLaunchLeavesTheRestToTheNextCycle(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.launchCap = 1
	crashRun(t, r, crashAfterCall)
	r.cloud.launchCap = 0
	e := r.restart()
	mark := r.log.len()
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, r.log.since(mark), "executed:create")
	if msg := r.log.since(mark)[0].Executed.Message; msg != "Recovered: 1 of 2 instances launched; the next cycle decides the rest" {
		t.Errorf("message = %q", msg)
	}
	rep := r.run(e, Request{})
	if got := r.cloud.byGroup()["web"]; got != 2 || r.cloud.count("create") != 2 {
		t.Fatalf("web = %d, creates = %d", got, r.cloud.count("create"))
	}
	if rep.Decisions[0].Action.Count != 1 || r.cloud.creates[0].ClientToken == r.cloud.creates[1].ClientToken {
		t.Errorf("remainder = %+v", rep.Decisions[0].Action)
	}
}

// TestRecoverBatchesDeletes: a leader dies after the intent of a batch of
// 15 deletes; the new leader settles all of them with one more
// TerminateInstances call (batches of up to MaxBatchIDs), not 15.
func TestRecoverBatchesDeletes(t *testing.T) {
	r := newRig(t, strings.Replace(webYAML, "max_deletions_per_run: 5", "max_deletions_per_run: 50", 1))
	for i := range 15 {
		r.cloud.add(inst(fmt.Sprintf("i-%02d", i), "gone", "t3.micro", int64(i)))
	}
	r.cloud.crashAt, r.cloud.crashOn = crashAfterIntent, "delete"
	_, err := r.engine(func(o *Options) { o.Confirmations = 1; o.BatchSize = 100 }).Run(context.Background(),
		Request{Config: &r.cfg})
	if !errors.Is(err, errCrashed) {
		t.Fatalf("err = %v", err)
	}
	e := r.restart()
	calls := r.cloud.count("delete")
	mark := r.log.len()
	rep, err := e.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := r.cloud.count("delete") - calls; n != 1 {
		t.Errorf("recovery made %d delete calls for 15 deletions, want 1", n)
	}
	if got := countKind(r.log.since(mark), wal.KindExecuted); got != 15 || len(rep.Decisions) != 15 {
		t.Errorf("%d executed records, %d decisions reported; want 15", got, len(rep.Decisions))
	}
	if left := r.cloud.byGroup()["gone"]; left != 0 {
		t.Errorf("%d instances of group gone left", left)
	}
}
