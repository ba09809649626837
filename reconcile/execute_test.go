package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

const threeGroupsYAML = `version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 5}
resources:
  - {name: a, type: ec2, count: 1, size: t3.micro}
  - {name: b, type: ec2, count: 1, size: t3.micro}
  - {name: c, type: ec2, count: 1, size: t3.micro}
`

func TestFailuresDoNotStopIndependentActions(t *testing.T) {
	r := newRig(t, threeGroupsYAML)
	r.cloud.failures["create:a"] = &ProviderError{Code: "RequestLimitExceeded", Message: "slow down"}
	e := r.engine()
	rep := r.run(e, Request{})
	wantKinds(t, r.log.all(), "config", "decided:create", "decided:create", "decided:create",
		"executing:create", "failed:create:RequestLimitExceeded", "executing:create", "executed:create",
		"executing:create", "executed:create", "summary")
	if f := r.log.all()[5].Failed; !f.Retryable || f.Message != "slow down" {
		t.Errorf("failed = %+v", f)
	}
	if rep.Failures != 1 || r.log.all()[10].Summary.Failures != 1 {
		t.Errorf("failures: report %d", rep.Failures)
	}
	if got := r.cloud.byGroup(); got["b"] != 1 || got["c"] != 1 || got["a"] != 0 {
		t.Fatalf("cloud = %v", got)
	}
	// Retryable: the next cycle tries again and converges.
	delete(r.cloud.failures, "create:a")
	r.run(e, Request{})
	if got := r.cloud.byGroup(); got["a"] != 1 || got["b"] != 1 || got["c"] != 1 {
		t.Fatalf("cloud after retry = %v", got)
	}
}

func TestTerminalFailureIsHeldUntilTheConfigurationChanges(t *testing.T) {
	r := newRig(t, threeGroupsYAML)
	r.cloud.failures["create:a"] = &ProviderError{Code: "InvalidAMIID.NotFound", Message: "no such image", Terminal: true}
	e := r.engine()
	r.run(e, Request{})
	if f := r.log.all()[5].Failed; f.Retryable || f.Code != "InvalidAMIID.NotFound" {
		t.Fatalf("failed = %+v", f)
	}
	rep := r.run(e, Request{})
	d := rep.Decisions[0]
	if d.Action.Action != wal.ActionHold || !strings.Contains(d.Action.Reason, "failed permanently (InvalidAMIID.NotFound)") {
		t.Fatalf("second cycle = %+v", d.Action)
	}
	if r.cloud.count("create") != 3 {
		t.Fatalf("terminal error retried blindly: %d creates", r.cloud.count("create"))
	}
	delete(r.cloud.failures, "create:a")
	fixed, err := ParseConfig("infrastructure.yaml", []byte(threeGroupsYAML+"# image fixed\n"))
	if err != nil {
		t.Fatal(err)
	}
	r.run(e, Request{Config: &fixed})
	if got := r.cloud.byGroup(); got["a"] != 1 {
		t.Fatalf("not retried after a configuration change: %v", got)
	}
}

func TestLeadershipLostStopsProviderCalls(t *testing.T) {
	r := newRig(t, threeGroupsYAML)
	var once sync.Once
	r.log.afterPropose = func(recs []wal.Record) {
		if recs[0].Kind == wal.KindExecuted {
			once.Do(func() {
				r.log.mu.Lock()
				r.log.failAt = r.log.proposals + 1
				r.log.mu.Unlock()
			})
		}
	}
	_, err := r.engine().Run(context.Background(), Request{Config: &r.cfg})
	if !errors.Is(err, errNotLeader) {
		t.Fatalf("err = %v", err)
	}
	if n := r.cloud.count("create"); n != 1 {
		t.Fatalf("provider calls after leadership loss: %d creates, want 1", n)
	}
	last := r.log.all()[r.log.len()-1]
	if last.Kind != wal.KindExecuted {
		t.Errorf("last record = %s", last.Kind)
	}
}

func TestCancelledContextStopsBeforeTheNextCall(t *testing.T) {
	r := newRig(t, threeGroupsYAML)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.log.afterPropose = func(recs []wal.Record) {
		if recs[0].Kind == wal.KindExecuted {
			cancel()
		}
	}
	_, err := r.engine().Run(ctx, Request{Config: &r.cfg})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := r.cloud.count("create"); n != 1 {
		t.Fatalf("%d creates after cancel, want 1", n)
	}
}

func TestDeletesAreBatched(t *testing.T) {
	r := newRig(t, webYAML)
	for i := range 3 {
		r.cloud.add(inst(fmt.Sprintf("i-o%d", i), "gone", "t3.micro", int64(i)))
	}
	r.cloud.add(inst("i-w1", "web", "t3.micro", 1), inst("i-w2", "web", "t3.micro", 2))
	e := r.engine(func(o *Options) { o.Confirmations = 1 })
	rep := r.run(e, Request{})
	if r.cloud.count("delete") != 1 {
		t.Fatalf("delete calls = %d, want 1 batch", r.cloud.count("delete"))
	}
	if got := r.cloud.byGroup(); got["gone"] != 0 || got["web"] != 2 {
		t.Fatalf("cloud = %v", got)
	}
	wantKinds(t, r.log.since(r.log.len()-7), "executing:delete", "executing:delete", "executing:delete",
		"executed:delete", "executed:delete", "executed:delete", "summary")
	for _, d := range rep.Decisions {
		if d.Status != StatusExecuted || d.Message != "Successfully deleted" {
			t.Errorf("%s: %s %q", d.DecisionID, d.Status, d.Message)
		}
	}
}

func TestPartialBatchFailure(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(inst("i-w1", "web", "t3.micro", 1, "team", "x"), inst("i-w2", "web", "t3.micro", 2, "team", "x"))
	r.cloud.failures["tags:i-w1"] = &ProviderError{Code: "RequestLimitExceeded", Message: "throttled"}
	rep := r.run(r.engine(), Request{})
	if r.cloud.count("tags") != 1 {
		t.Fatalf("tag calls = %d, want 1 batch", r.cloud.count("tags"))
	}
	if rep.Decisions[0].Status != StatusFailed || rep.Decisions[1].Status != StatusExecuted || rep.Failures != 1 {
		t.Fatalf("decisions = %+v", rep.Decisions)
	}
}

func TestUnknownOutcomeLeavesTheIntentOpen(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.failures["create:web"] = errors.New("connection reset by peer")
	e := r.engine()
	rep := r.run(e, Request{})
	if rep.Decisions[0].Status != StatusUnknown || rep.Failures != 1 {
		t.Fatalf("decision = %+v", rep.Decisions[0])
	}
	if open, _ := r.log.OpenIntents(context.Background()); len(open) != 1 || open[0].Executing == nil {
		t.Fatalf("open = %+v", open)
	}
	delete(r.cloud.failures, "create:web")
	r.run(e, Request{}) // recovers the intent first, then decides
	if got := r.cloud.byGroup(); got["web"] != 2 || r.cloud.count("create") != 2 {
		t.Fatalf("cloud = %v, creates = %d", got, r.cloud.count("create"))
	}
	if open, _ := r.log.OpenIntents(context.Background()); len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
}

func TestSlowVisibilityDoesNotLaunchTwice(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.hideNew = 1 // the next Observe after a launch does not show it
	e := r.engine()
	r.run(e, Request{})
	rep := r.run(e, Request{})
	if d := rep.Decisions[0]; d.Action.Action != wal.ActionHold || d.Action.Count != 2 {
		t.Fatalf("second cycle = %+v", d.Action)
	}
	r.run(e, Request{})
	if got := r.cloud.byGroup(); got["web"] != 2 || r.cloud.count("create") != 1 {
		t.Fatalf("cloud = %v, creates = %d", got, r.cloud.count("create"))
	}
}

func TestDriftIsRepaired(t *testing.T) {
	yaml := strings.Replace(webYAML, "max_deletions_per_run: 5}", "max_deletions_per_run: 5, allow_disruptive: true}", 1)
	r := newRig(t, yaml)
	r.cloud.add(inst("i-w1", "web", "t3.large", 1, "team", "x", "stray", "1"), inst("i-w2", "web", "t3.micro", 2))
	e := r.engine()
	rep := r.run(e, Request{})
	for _, d := range rep.Decisions {
		if d.Status != StatusExecuted {
			t.Errorf("%s %s: %s", d.Action.Action, d.Action.ResourceID, d.Status)
		}
	}
	r.cloud.mu.Lock()
	w1 := r.cloud.instances["i-w1"]
	r.cloud.mu.Unlock()
	if w1.Instance.Size != "t3.micro" || w1.Tags["team"] != "a" || w1.Tags["stray"] != "" || w1.Tags[wal.TagManaged] != "true" {
		t.Fatalf("i-w1 = %+v", w1)
	}
	mark := r.log.len()
	r.run(e, Request{})
	wantKinds(t, r.log.since(mark), "observed", "summary") // i-w1 changed once; nothing left to do
}
