package reconcile_test

import (
	"context"
	"testing"

	"github.com/yairfalse/ovi/reconcile"
)

// TestFleetConvergesInOneCycle is BenchmarkReconcile10000's convergence
// check at 200 instances (4 groups of 45 → 50, 20 of a removed group: 4
// launches, inside the RunInstances burst, so it runs in well under a
// second), through the real SDK against the simulator. The first cycle
// records every resource as new — the 200 instances and the simulator's
// two default security groups, which the benchmark's {New:10000} had left
// out since security groups became an observed kind — and creates and
// deletes what the file asks; the second cycle plans no change and
// records only the observations the first cycle's actions caused; the
// third, over an idle fleet, records its summary alone.
func TestFleetConvergesInOneCycle(t *testing.T) {
	isolateAWS(t)
	f := fleet{Groups: 4, Have: 45, Want: 50, Old: 20}
	cfg := f.config(t)
	sim, eng, log := f.start(t)
	rep, err := eng.Run(context.Background(), reconcile.Request{Config: &cfg})
	if err != nil || rep.Failures != 0 {
		t.Fatalf("first cycle: %v (failures %d)", err, rep.Failures)
	}
	f.checkConverged(t, sim, rep)
	f.settle(t, sim, eng, log)
	records := log.RecordCount()
	idle, err := eng.Run(context.Background(), reconcile.Request{})
	if err != nil || idle.Changes != (reconcile.ObservedChanges{}) || log.RecordCount()-records != 1 {
		t.Fatalf("third cycle: %v, changes %+v, %d records (want only the summary)", err, idle.Changes, log.RecordCount()-records)
	}
	checkNoPlan(t, idle)
}
