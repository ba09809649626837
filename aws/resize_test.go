package aws

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// running advances the simulator past pending.
func (e *env) running(id string) {
	e.t.Helper()
	e.clock.sim.Advance(time.Minute)
	if s := e.simInstance(id).State; s != ec2sim.StateRunning {
		e.t.Fatalf("instance %s is %s, want running", id, s)
	}
}

func TestResizeStopsModifiesStarts(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{StopWait: Backoff{Initial: time.Second, Max: 4 * time.Second, Total: time.Minute}})
	id := e.create("web", 1, nil)[0]
	e.running(id)
	e.sim.ResetCounts()

	if err := e.p.Resize(context.Background(), id, "t3.large"); err != nil {
		t.Fatalf("Resize: %v", err)
	}
	in := e.simInstance(id)
	if in.InstanceType != "t3.large" {
		t.Fatalf("type = %s, want t3.large", in.InstanceType)
	}
	if in.State != ec2sim.StatePending && in.State != ec2sim.StateRunning {
		t.Fatalf("state = %s, want started again", in.State)
	}
	for action, want := range map[string]int{"StopInstances": 1, "ModifyInstanceAttribute": 1, "StartInstances": 1} {
		if n := e.calls(action); n != want {
			t.Fatalf("%s calls = %d, want %d (all calls %v)", action, n, want, e.sim.Counts())
		}
	}
	// The simulator keeps the instance stopping for a while: Resize polled.
	if n := e.calls("DescribeInstances"); n < 3 {
		t.Fatalf("DescribeInstances calls = %d: Resize did not wait for stopped", n)
	}
}

func TestResizeStoppedInstanceStaysStopped(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id := e.create("web", 1, nil)[0]
	e.running(id)
	if err := e.p.stop(context.Background(), id); err != nil {
		t.Fatalf("stop: %v", err)
	}
	e.sim.ResetCounts()
	if err := e.p.Resize(context.Background(), id, "t3.large"); err != nil {
		t.Fatalf("Resize: %v", err)
	}
	in := e.simInstance(id)
	if in.InstanceType != "t3.large" || in.State != ec2sim.StateStopped || e.calls("StartInstances") != 0 {
		t.Fatalf("instance %+v, calls %v", in, e.sim.Counts())
	}
}

func TestResizeRefusesBlessed(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id := e.create("web", 1, map[string]string{wal.TagBlessed: "true"})[0]
	e.sim.ResetCounts()
	wantCode(t, e.p.Resize(context.Background(), id, "t3.large"), CodeBlessed, true)
	if n := e.calls("StopInstances"); n != 0 {
		t.Fatalf("StopInstances calls = %d: a blessed instance was stopped", n)
	}
}

func TestResizeRefusedTypeRestartsInstance(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id := e.create("web", 1, nil)[0]
	e.running(id)
	e.sim.FailAction("ModifyInstanceAttribute", ec2sim.Fault{Code: "InvalidParameterValue"})
	e.sim.ResetCounts()

	err := e.p.Resize(context.Background(), id, "t3.enormous")
	wantCode(t, err, "InvalidParameterValue", true)
	if n := e.calls("ModifyInstanceAttribute"); n != 1 {
		t.Fatalf("ModifyInstanceAttribute calls = %d, want 1 (terminal)", n)
	}
	if n := e.calls("StartInstances"); n != 1 {
		t.Fatalf("StartInstances calls = %d: instance left stopped", n)
	}
	if in := e.simInstance(id); in.InstanceType != "t3.micro" {
		t.Fatalf("type changed to %s", in.InstanceType)
	}
}

func TestResizeGivesUpWhenStopNeverCompletes(t *testing.T) {
	lc := ec2sim.DefaultLifecycle()
	lc.Stopping = 24 * time.Hour
	e := newEnv(t, ec2sim.Options{Lifecycle: &lc}, Options{StopWait: Backoff{Initial: time.Second, Max: 30 * time.Second, Total: 5 * time.Minute}})
	id := e.create("web", 1, nil)[0]
	e.running(id)
	err := e.p.Resize(context.Background(), id, "t3.large")
	if !errors.Is(err, ErrStopTimeout) {
		t.Fatalf("Resize: %v, want ErrStopTimeout", err)
	}
	if w := e.clock.waited(); w > 6*time.Minute {
		t.Fatalf("waited %s of simulated time, want about 5m", w)
	}
}

func TestResizeRejectsBadInput(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id := e.create("web", 1, nil)[0]
	for _, c := range []struct{ id, size string }{{"", "t3.large"}, {"x", "t3.large"}, {id, ""}} {
		err := e.p.Resize(context.Background(), c.id, c.size)
		var pe *reconcile.ProviderError
		wantTerminal(t, err, &pe)
	}
}
