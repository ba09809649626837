package engine

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// TestProviderProbeIsNotACycleCall: the first cycle builds the provider,
// whose reachability probe is one DescribeInstances made with the cycle's
// context. It is the provider's setup, not a call the cycle planned or
// made for its reconcile: the simulator sees it, the cycle's tally (its
// API budget's MADE column) does not; the cycle's own Observe is counted.
func TestProviderProbeIsNotACycleCall(t *testing.T) {
	sim := ec2sim.New(ec2sim.Options{Seed: 1, Throttle: ec2sim.Throttle{Disabled: true}})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	factory := func(ctx context.Context, cfg wal.Config, m aws.APIMetrics) (reconcile.Provider, error) {
		return aws.New(ctx, aws.Options{Region: cfg.Region, Endpoint: url, Metrics: m,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	}
	lazy := newLazyProvider(factory, nil, slog.New(slog.DiscardHandler), nil)
	tally := reconcile.NewCallTally()
	cfg := &wal.ConfigApplied{Config: wal.Config{Version: "v1", Provider: "aws", Region: "us-east-1"}}
	ctx := reconcile.WithTally(withDesired(context.Background(), cfg), tally)
	kp, err := lazy.Kind(ctx, wal.ResourceInstance)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Counts()["DescribeInstances"]; got != 1 {
		t.Fatalf("the simulator saw %d DescribeInstances building the provider, want the probe's 1", got)
	}
	if calls, _ := tally.Counts(); len(calls) != 0 {
		t.Fatalf("the probe counted as the cycle's call: %+v", calls)
	}
	if _, err := kp.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	calls, _ := tally.Counts()
	if len(calls) != 1 || calls[0].Operation != "DescribeInstances" || calls[0].Calls != 1 {
		t.Fatalf("the cycle's Observe counted %+v, want one DescribeInstances", calls)
	}
}
