package ec2sim_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// BenchmarkDescribeInstances10k observes 10,000 instances through the SDK
// paginator with MaxResults 1000: 10 calls per observation.
func BenchmarkDescribeInstances10k(b *testing.B) {
	h := newHarness(b, ec2sim.Options{Seed: 1, Clock: ec2sim.SystemClock{}, Throttle: ec2sim.Throttle{Disabled: true}})
	for range 10 {
		h.run(b, 1000, "", tag("ovi:managed", "true"), tag("app", "bench"))
	}
	h.sim.ResetCounts()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		p := ec2.NewDescribeInstancesPaginator(h.client, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range page.Reservations {
				n += len(r.Instances)
			}
		}
		if n != 10000 {
			b.Fatalf("observed %d instances", n)
		}
	}
	b.StopTimer()
	calls := h.sim.Counts()["DescribeInstances"]
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(10000, "instances/op")
}
