package aws

import (
	"context"
	"fmt"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// The benchmarks run the provider against the simulator on 127.0.0.1
// through the real SDK client. The provider keeps its default (EC2-shaped)
// client limits on the simulator's manual clock: limiter waits cost no
// wall time and are reported as limiter-wait-s/op, the time the same calls
// would be spaced over against EC2.

// BenchmarkObserve10000 observes a region of 10,000 instances.
func BenchmarkObserve10000(b *testing.B) {
	e := newEnv(b, ec2sim.Options{}, Options{})
	e.launchUnmanaged(10_000)
	e.sim.ResetCounts()
	for b.Loop() {
		got, err := e.p.Observe(context.Background())
		if err != nil || len(got) != 10_000 {
			b.Fatalf("Observe: %d instances, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(e.calls("DescribeInstances"))/float64(b.N), "DescribeInstances/op")
	b.ReportMetric(10_000, "instances/op")
}

// BenchmarkCreate1000In10Groups launches 1,000 instances as 10 groups of 100.
func BenchmarkCreate1000In10Groups(b *testing.B) {
	e := newEnv(b, ec2sim.Options{}, Options{})
	iter := 0
	for b.Loop() {
		for g := range 10 {
			decision := fmt.Sprintf("bench-%d-%d", iter, g)
			res, err := e.p.Create(context.Background(), createRequest(fmt.Sprintf("group-%d", g), 100, decision, nil))
			if err != nil || len(res.IDs) != 100 {
				b.Fatalf("Create: %d launched, %v", len(res.IDs), err)
			}
		}
		iter++
	}
	b.ReportMetric(float64(e.calls("RunInstances"))/float64(b.N), "RunInstances/op")
	b.ReportMetric(e.clock.waited().Seconds()/float64(b.N), "limiter-wait-s/op")
}

// BenchmarkTerminate1000 terminates 1,000 instances (after the blessed
// re-check).
func BenchmarkTerminate1000(b *testing.B) {
	e := newEnv(b, ec2sim.Options{}, Options{})
	var terminateCalls, describeCalls int
	for b.Loop() {
		b.StopTimer()
		ids := e.create("web", 1000, nil)
		e.sim.ResetCounts()
		b.StartTimer()
		out, err := e.p.Delete(context.Background(), ids)
		if err != nil || len(out) != 1000 || out[999].Err != nil {
			b.Fatalf("Delete: %v", err)
		}
		terminateCalls += e.calls("TerminateInstances")
		describeCalls += e.calls("DescribeInstances")
	}
	b.ReportMetric(float64(terminateCalls)/float64(b.N), "TerminateInstances/op")
	b.ReportMetric(float64(describeCalls)/float64(b.N), "DescribeInstances/op")
}
