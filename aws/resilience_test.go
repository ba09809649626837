package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// raised are client limits far above the simulator's buckets, so the
// simulator, not Ovi, decides when to throttle.
func raised() Limits {
	b := Bucket{Burst: 1_000_000, Rate: 1_000_000}
	return Limits{RunInstances: b, Mutating: b, Tags: b, Describe: b}
}

func TestThrottlingSurvived(t *testing.T) {
	// Wall clock on both sides: the simulator refills its buckets in real
	// time while the SDK's retryer backs off (capped at 200 ms here). The
	// client limits are far above the simulator's buckets, as if other
	// clients of the account had drained them.
	e := newEnv(t,
		ec2sim.Options{Clock: ec2sim.SystemClock{}, Throttle: ec2sim.Throttle{Disabled: true}},
		Options{Limits: raised(), MaxAttempts: 30, MaxBackoff: 200 * time.Millisecond})
	ids := e.launchUnmanaged(10)
	slow := ec2sim.Bucket{Capacity: 2, RefillPerSecond: 5}
	e.sim.SetThrottle(ec2sim.Throttle{Buckets: map[ec2sim.ActionClass]ec2sim.Bucket{
		ec2sim.ClassDescribe: slow, ec2sim.ClassTags: slow, ec2sim.ClassRunInstances: slow,
	}})
	e.sim.ResetCounts()
	const rounds = 10
	// Each action in a tight loop of its own, so its bucket drains.
	for i := range rounds {
		got, err := e.p.Observe(context.Background())
		if err != nil || len(got) != 10 {
			t.Fatalf("Observe %d under throttling: %d instances, %v", i, len(got), err)
		}
	}
	for i := range rounds {
		out, err := e.p.UpdateTags(context.Background(), TagRequest{IDs: ids, Set: map[string]string{"round": fmt.Sprint(i)}})
		if err != nil || out[0].Err != nil {
			t.Fatalf("UpdateTags %d under throttling: %v %+v", i, err, out)
		}
	}
	for i := range rounds {
		req := createRequest("web", 1, fmt.Sprintf("decision-%d", i), nil)
		if _, err := e.p.Create(context.Background(), req); err != nil {
			t.Fatalf("Create %d under throttling: %v", i, err)
		}
	}
	for _, action := range []string{"DescribeInstances", "CreateTags", "RunInstances"} {
		if n := e.calls(action); n <= rounds {
			t.Fatalf("%s calls = %d for %d operations: the simulator never throttled", action, n, rounds)
		}
	}
	if n := len(e.sim.Instances()); n != 10+rounds {
		t.Fatalf("simulator holds %d instances, want %d: a throttled launch was duplicated", n, 10+rounds)
	}
}

func TestClientLimiterKeepsOviUnderEC2Buckets(t *testing.T) {
	// The simulator throttles like EC2 on the shared manual clock; the
	// provider keeps its default limits. Twelve launches in a row must
	// cost exactly twelve RunInstances calls: none throttled.
	e := newEnv(t, ec2sim.Options{}, Options{MaxAttempts: 1})
	for i := range 12 {
		e.create("web", 1+i, nil)
	}
	if n := e.calls("RunInstances"); n != 12 {
		t.Fatalf("RunInstances calls = %d, want 12 (the client limiter let throttling happen)", n)
	}
	// Burst 5, refill 2/s: the last 7 launches waited 3.5 s in all.
	if w := e.clock.waited(); w < 3400*time.Millisecond || w > 3600*time.Millisecond {
		t.Fatalf("limiter waited %s of simulated time, want 3.5s", w)
	}
}

func TestNotFoundAfterLaunchIsRetried(t *testing.T) {
	e := newEnv(t, ec2sim.Options{ConsistencyWindow: 3 * time.Second}, Options{})
	ids := e.create("web", 3, nil)

	// Not visible yet: Observe does not fail, it just does not see them.
	got, err := e.p.Observe(context.Background())
	if err != nil || len(got) != 0 {
		t.Fatalf("Observe inside the window: %d instances, %v", len(got), err)
	}
	out, err := e.p.UpdateTags(context.Background(), TagRequest{IDs: ids, Set: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatalf("UpdateTags: %v", err)
	}
	for _, o := range out {
		if o.Err != nil {
			t.Fatalf("tag %s right after launch: %v", o.ID, o.Err)
		}
	}
	if n := e.calls("CreateTags"); n < 2 {
		t.Fatalf("CreateTags calls = %d: NotFound was never seen", n)
	}

	more := e.create("api", 2, nil)
	if err := e.p.Resize(context.Background(), more[0], "t3.large"); err != nil {
		t.Fatalf("Resize right after launch: %v", err)
	}
	last := e.create("db", 1, nil)
	out, err = e.p.Delete(context.Background(), last)
	if err != nil || out[0].Err != nil {
		t.Fatalf("Delete right after launch: %v %+v", err, out)
	}
}

func TestTerminalErrorsSurfacedNotRetried(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	for _, code := range []string{"UnauthorizedOperation", "AccessDenied", "InvalidParameterValue", "AuthFailure"} {
		e.sim.FailAction("DescribeInstances", ec2sim.Fault{Code: code, Times: 1})
		e.sim.ResetCounts()
		_, err := e.p.Observe(context.Background())
		wantCode(t, err, code, true)
		if n := e.calls("DescribeInstances"); n != 1 {
			t.Fatalf("%s: DescribeInstances calls = %d, want 1", code, n)
		}
	}
	ids := e.create("web", 2, nil)
	e.sim.FailAction("TerminateInstances", ec2sim.Fault{Code: "UnauthorizedOperation"})
	e.sim.ResetCounts()
	out, err := e.p.Delete(context.Background(), ids)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, o := range out {
		wantCode(t, o.Err, "UnauthorizedOperation", true)
	}
	if n := e.calls("TerminateInstances"); n != 1 {
		t.Fatalf("TerminateInstances calls = %d, want 1 (not retried, not split)", n)
	}
}

func TestTransientErrorsRetried(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	e.sim.FailAction("DescribeInstances", ec2sim.Fault{Code: "InternalError", Times: 2})
	if _, err := e.p.Observe(context.Background()); err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if n := e.calls("DescribeInstances"); n != 3 {
		t.Fatalf("DescribeInstances calls = %d, want 3", n)
	}
	e.sim.FailAction("DescribeInstances", ec2sim.Fault{Code: "InternalError"})
	e.sim.ResetCounts()
	_, err := e.p.Observe(context.Background())
	wantCode(t, err, "InternalError", false)
	if n := e.calls("DescribeInstances"); n != defaultMaxAttempts {
		t.Fatalf("DescribeInstances calls = %d, want %d (bounded)", n, defaultMaxAttempts)
	}
}
