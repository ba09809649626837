package aws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// recordingMetrics keeps every report.
type recordingMetrics struct {
	mu    sync.Mutex
	calls []APICall
	waits map[string]time.Duration
}

func (r *recordingMetrics) APICall(c APICall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recordingMetrics) RateLimitWait(bucket string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waits == nil {
		r.waits = map[string]time.Duration{}
	}
	r.waits[bucket] += d
}

// count returns the attempts of action with code.
func (r *recordingMetrics) count(action, code string) (n, throttled int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c.Action == action && c.ErrorCode == code {
			n++
			if c.Throttled {
				throttled++
			}
		}
	}
	return n, throttled
}

func TestMetricsCountEveryAttemptWithItsErrorCode(t *testing.T) {
	m := &recordingMetrics{}
	e := newEnv(t, ec2sim.Options{Clock: ec2sim.SystemClock{}, Throttle: ec2sim.Throttle{Disabled: true}},
		Options{Limits: raised(), MaxAttempts: 30, MaxBackoff: 50 * time.Millisecond, Metrics: m})
	e.launchUnmanaged(3)
	e.sim.SetThrottle(ec2sim.Throttle{Buckets: map[ec2sim.ActionClass]ec2sim.Bucket{
		ec2sim.ClassDescribe: {Capacity: 1, RefillPerSecond: 5}}})
	e.sim.ResetCounts()
	for i := range 4 {
		if got, err := e.p.Observe(context.Background()); err != nil || len(got) != 3 {
			t.Fatalf("Observe %d: %d instances, %v", i, len(got), err)
		}
	}
	ok, _ := m.count("DescribeInstances", ErrorNone)
	limited, throttled := m.count("DescribeInstances", "RequestLimitExceeded")
	if limited == 0 || throttled != limited {
		t.Fatalf("throttled attempts: %d with RequestLimitExceeded, %d flagged throttled", limited, throttled)
	}
	// The probe in New succeeded before the counts were reset.
	if sim := e.calls("DescribeInstances"); ok+limited != sim+1 {
		t.Fatalf("reported %d ok + %d throttled attempts, the simulator saw %d (+1 probe)", ok, limited, sim)
	}
	for _, c := range m.calls {
		if c.Duration <= 0 {
			t.Fatalf("attempt without a duration: %+v", c)
		}
	}
}

func TestMetricsReportRateLimitWaits(t *testing.T) {
	m := &recordingMetrics{}
	e := newEnv(t, ec2sim.Options{}, Options{MaxAttempts: 1, Metrics: m})
	for i := range 7 {
		e.create("web", 1+i, nil)
	}
	// Burst 5, refill 2/s: the last 2 launches waited 0.5 s each.
	if w := m.waits[BucketRunInstances]; w != e.clock.waited() || w < 900*time.Millisecond || w > 1100*time.Millisecond {
		t.Fatalf("reported %s of rate-limit waits (clock waited %s), want 1s", w, e.clock.waited())
	}
	if n, _ := m.count("RunInstances", ErrorNone); n != 7 {
		t.Fatalf("RunInstances attempts reported: %d, want 7", n)
	}
}

func TestCallErrorCodeIsBounded(t *testing.T) {
	cases := map[string]error{
		ErrorNone:                    nil,
		"InvalidInstanceID.NotFound": &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound"},
		ErrorOther:                   &smithy.GenericAPIError{Code: "i-0123 not <found>"},
		ErrorCanceled:                fmt.Errorf("op: %w", context.Canceled),
		ErrorTimeout:                 fmt.Errorf("op: %w", context.DeadlineExceeded),
		ErrorTransport:               errors.New("dial tcp 127.0.0.1:1: connect: connection refused"),
	}
	for want, err := range cases {
		if got := callErrorCode(err); got != want {
			t.Errorf("callErrorCode(%v) = %q, want %q", err, got, want)
		}
	}
	for op, want := range map[string]string{"RunInstances": BucketRunInstances, "CreateTags": BucketTags,
		"DescribeImages": BucketDescribe, "TerminateInstances": BucketMutating} {
		if got := bucketName(op); got != want {
			t.Errorf("bucketName(%s) = %s, want %s", op, got, want)
		}
	}
}
