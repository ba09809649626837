package ec2sim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// httpStatus returns the HTTP status of an SDK error.
func httpStatus(t *testing.T, err error) int {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	return re.HTTPStatusCode()
}

// noRetries disables the SDK's retryer, so throttling reaches the test.
func noRetries(o *ec2.Options) { o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1) }

func TestThrottlingRunInstancesBucket(t *testing.T) {
	opts := quietOptions()
	opts.Throttle = ec2sim.Throttle{} // EC2's buckets
	h := newHarness(t, opts)
	h.client = newClient(h.url, noRetries)
	for i := range 5 {
		if _, err := h.client.RunInstances(context.Background(), runInput(1, "")); err != nil {
			t.Fatalf("call %d within the burst of 5: %v", i+1, err)
		}
	}
	_, err := h.client.RunInstances(context.Background(), runInput(1, ""))
	wantCode(t, err, "RequestLimitExceeded")
	if s := httpStatus(t, err); s != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", s)
	}
	// Other classes have their own buckets.
	if _, err := h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("describe must not share RunInstances' bucket: %v", err)
	}
	h.clock.Advance(500 * time.Millisecond) // refill 2/s: one token
	if _, err := h.client.RunInstances(context.Background(), runInput(1, "")); err != nil {
		t.Fatalf("after refill: %v", err)
	}
	_, err = h.client.RunInstances(context.Background(), runInput(1, ""))
	wantCode(t, err, "RequestLimitExceeded")
	if got := h.sim.Counts()["RunInstances"]; got != 8 {
		t.Fatalf("RunInstances counter %d, want 8 (throttled calls count)", got)
	}
	if n := len(h.sim.Instances()); n != 6 {
		t.Fatalf("%d instances, want 6", n)
	}
}

func TestThrottlingBucketSizesPerClass(t *testing.T) {
	opts := quietOptions()
	opts.Throttle = ec2sim.Throttle{}
	h := newHarness(t, opts)
	h.client = newClient(h.url, noRetries)
	id := h.run(t, 1, "")[0]
	h.clock.Advance(10 * time.Second) // refills RunInstances, running now
	ctx := context.Background()
	calls := []struct {
		name  string
		burst int
		call  func() error
	}{
		{"describe", 100, func() error { _, err := h.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); return err }},
		{"tags", 100, func() error {
			_, err := h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{tag("a", "b")}})
			return err
		}},
		{"mutating", 50, func() error {
			_, err := h.client.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
			return err
		}},
	}
	for _, c := range calls {
		for i := range c.burst {
			if err := c.call(); err != nil {
				t.Fatalf("%s call %d: %v", c.name, i+1, err)
			}
		}
		wantCode(t, c.call(), "RequestLimitExceeded")
	}
	h.sim.SetThrottle(ec2sim.Throttle{Disabled: true})
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s with throttling disabled: %v", c.name, err)
		}
	}
}

func TestThrottlingIsRetriedByTheStandardRetryer(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.sim.FailAction("DescribeInstances", ec2sim.Fault{Code: "RequestLimitExceeded", Times: 2})
	client := newClient(h.url, func(o *ec2.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	if _, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("standard retryer did not survive throttling: %v", err)
	}
	if n := h.sim.Counts()["DescribeInstances"]; n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

func TestEventualConsistencyWindow(t *testing.T) {
	opts := quietOptions()
	opts.ConsistencyWindow = 3 * time.Second
	h := newHarness(t, opts)
	ctx := context.Background()
	id := h.run(t, 1, "")[0]
	_, err := h.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	if got := h.describeAll(t, &ec2.DescribeInstancesInput{}); len(got) != 0 {
		t.Fatalf("listing shows %d instances inside the window", len(got))
	}
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{tag("a", "b")}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	h.clock.Advance(3 * time.Second)
	if got := h.stateOf(t, id); got != types.InstanceStateNamePending {
		t.Fatalf("state %s after the window", got)
	}
	h.sim.SetConsistencyWindow(0)
	if id2 := h.run(t, 1, "")[0]; h.stateOf(t, id2) != types.InstanceStateNamePending {
		t.Fatal("window 0: a new instance must be visible at once")
	}
}

func TestFailureInjectionPerAction(t *testing.T) {
	h := newHarness(t, quietOptions())
	ctx := context.Background()
	h.sim.FailAction("DescribeInstances", ec2sim.Fault{Code: "InternalError", Times: 2})
	for range 2 {
		_, err := h.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		wantCode(t, err, "InternalError")
		if s := httpStatus(t, err); s != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", s)
		}
	}
	if _, err := h.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("third call: %v", err)
	}
	h.sim.FailAction("RunInstances", ec2sim.Fault{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."})
	for range 3 {
		_, err := h.client.RunInstances(ctx, runInput(1, ""))
		if msg := wantCode(t, err, "UnauthorizedOperation"); msg != "You are not authorized to perform this operation." {
			t.Fatalf("message %q", msg)
		}
	}
	h.sim.ClearFaults()
	h.run(t, 1, "")
}

func TestFailureInjectionPerInstance(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 3, "")
	h.sim.FailInstance("TerminateInstances", ids[1], ec2sim.Fault{Code: "OperationNotPermitted"})
	_, err := h.client.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if msg := wantCode(t, err, "OperationNotPermitted"); !strings.Contains(msg, ids[1]) {
		t.Fatalf("message %q does not name %s", msg, ids[1])
	}
	out := h.terminate(t, ids[0], ids[2])
	if len(out.TerminatingInstances) != 2 {
		t.Fatalf("%d changes", len(out.TerminatingInstances))
	}
	// Only the named action is affected.
	if _, err := h.client.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: ids[1:2], Tags: []types.Tag{tag("a", "b")}}); err != nil {
		t.Fatalf("CreateTags on %s: %v", ids[1], err)
	}
	_, err = h.client.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids[1:2]})
	wantCode(t, err, "OperationNotPermitted")
}

func TestLatencyHonoursClientDeadline(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.sim.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := h.client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the client's deadline", err)
	}
	h.sim.SetLatency(0)
	if _, err := h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestDryRun(t *testing.T) {
	h := newHarness(t, quietOptions())
	in := runInput(1, "")
	in.DryRun = aws.Bool(true)
	_, err := h.client.RunInstances(context.Background(), in)
	wantCode(t, err, "DryRunOperation")
	if n := len(h.sim.Instances()); n != 0 {
		t.Fatalf("dry run launched %d", n)
	}
}

func TestConcurrentClients(t *testing.T) {
	h := newHarness(t, quietOptions())
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				out, err := h.client.RunInstances(context.Background(), runInput(2, ""))
				if err == nil {
					_, err = h.client.CreateTags(context.Background(), &ec2.CreateTagsInput{
						Resources: []string{aws.ToString(out.Instances[0].InstanceId)}, Tags: []types.Tag{tag("worker", string(rune('a'+i)))},
					})
				}
				if err == nil {
					_, err = h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(h.describeAll(t, &ec2.DescribeInstancesInput{})); n != 80 {
		t.Fatalf("%d instances, want 80", n)
	}
	if c := h.sim.Counts(); c["RunInstances"] != 40 || c["CreateTags"] != 40 {
		t.Fatalf("counts %v", c)
	}
}
