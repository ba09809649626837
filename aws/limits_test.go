package aws

import (
	"context"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestLimiterMirrorsEC2Buckets(t *testing.T) {
	cases := []struct {
		op    string
		burst int
		every time.Duration
	}{
		{"RunInstances", 5, 500 * time.Millisecond},
		{"TerminateInstances", 50, 200 * time.Millisecond},
		{"ModifyInstanceAttribute", 50, 200 * time.Millisecond},
		{"CreateTags", 100, 100 * time.Millisecond},
		{"DeleteTags", 100, 100 * time.Millisecond},
		{"DescribeInstances", 100, 50 * time.Millisecond},
		{"DescribeImages", 100, 50 * time.Millisecond},
	}
	for _, c := range cases {
		clock := &testClock{sim: ec2sim.NewManualClock(time.Unix(0, 0))}
		l := newLimiter(DefaultLimits(), clock)
		for range c.burst {
			if err := l.wait(context.Background(), c.op); err != nil {
				t.Fatalf("%s: %v", c.op, err)
			}
		}
		if w := clock.waited(); w != 0 {
			t.Fatalf("%s: burst of %d waited %s", c.op, c.burst, w)
		}
		if err := l.wait(context.Background(), c.op); err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		if w := clock.waited(); w != c.every {
			t.Fatalf("%s: request past the burst waited %s, want %s", c.op, w, c.every)
		}
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	l := newLimiter(Limits{RunInstances: Bucket{Burst: 1, Rate: 0.001}}.orDefault(DefaultLimits()), realClock{})
	if err := l.wait(context.Background(), "RunInstances"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx, "RunInstances"); err == nil {
		t.Fatal("wait with a cancelled context succeeded")
	}
}

func TestLimitsDefaultsFillZeroBuckets(t *testing.T) {
	l := Limits{Tags: Bucket{Burst: 7, Rate: 3}}.orDefault(DefaultLimits())
	if l.Tags != (Bucket{Burst: 7, Rate: 3}) || l.RunInstances != DefaultLimits().RunInstances {
		t.Fatalf("limits %+v", l)
	}
}
