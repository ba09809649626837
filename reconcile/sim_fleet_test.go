package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// fleet is the simulator scenario of BenchmarkReconcile10000 at a size:
// Groups groups of Have instances in the cloud and of Want in the file,
// plus Old instances of a group ("old") removed from the file. One cycle
// creates Groups×(Want−Have) in one launch per group and deletes the Old
// in one batch (the file allows that many deletions).
type fleet struct {
	Groups, Have, Want, Old int
}

// instances is how many instances the cloud starts with.
func (f fleet) instances() int { return f.Groups*f.Have + f.Old }

// start runs a simulator holding the starting fleet, and an engine on
// it (simEngine).
func (f fleet) start(tb testing.TB) (*ec2sim.Server, *reconcile.Engine, reconcile.MemoryLog) {
	tb.Helper()
	sim, url := startSim(tb)
	f.populate(tb, sim, url)
	eng, log := simEngine(tb, url)
	return sim, eng, log
}

// settle runs the cycle after the one that converged the fleet and checks
// it (checkSettled).
func (f fleet) settle(tb testing.TB, sim *ec2sim.Server, eng *reconcile.Engine, log reconcile.MemoryLog) {
	tb.Helper()
	records := log.RecordCount()
	rep, err := eng.Run(context.Background(), reconcile.Request{})
	if err != nil {
		tb.Fatalf("the cycle after convergence: %v", err)
	}
	f.checkSettled(tb, sim, log, records, rep)
}

// config is the file: Groups groups of Want.
func (f fleet) config(tb testing.TB) wal.ConfigApplied {
	tb.Helper()
	var y strings.Builder
	y.WriteString("version: v1\nprovider: aws\nregion: us-east-1\n")
	fmt.Fprintf(&y, "policy: {delete_unwanted: true, max_deletions_per_run: %d}\nresources:\n", f.Old)
	for g := range f.Groups {
		fmt.Fprintf(&y, "  - {name: g%d, type: ec2, count: %d, size: t3.micro, image: %s}\n", g, f.Want, ec2sim.NewestAL2023)
	}
	cfg, err := reconcile.ParseConfig("infrastructure.yaml", []byte(y.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// populate launches the starting fleet with throttling off, then puts
// EC2's default buckets back (full).
func (f fleet) populate(tb testing.TB, sim *ec2sim.Server, url string) {
	tb.Helper()
	sim.SetThrottle(ec2sim.Throttle{Disabled: true})
	fast := aws.Bucket{Burst: 1000, Rate: 1000}
	p, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: url,
		Limits: aws.Limits{RunInstances: fast, Mutating: fast, Tags: fast, Describe: fast}})
	if err != nil {
		tb.Fatal(err)
	}
	launch := func(group string, n int) {
		tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: group}
		_, err := p.Create(context.Background(), aws.CreateRequest{Group: group, Count: n, Size: "t3.micro",
			ImageID: ec2sim.NewestAL2023, Tags: tags, DecisionID: "seed-" + group, ClientToken: "seed-" + group})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for g := range f.Groups {
		launch(fmt.Sprintf("g%d", g), f.Have)
	}
	launch("old", f.Old)
	sim.SetThrottle(ec2sim.Throttle{})
}

// checkConverged checks the first cycle over the fleet: it recorded every
// resource of the cloud as new — the instances and the simulator's own
// security groups (each catalogue VPC's default group, which every cycle
// observes since security groups are a kind) — and left each group at
// Want live instances and none of "old".
func (f fleet) checkConverged(tb testing.TB, sim *ec2sim.Server, rep reconcile.Report) {
	tb.Helper()
	live := map[string]int{}
	for _, in := range sim.Instances() {
		if in.State == ec2sim.StateTerminated || in.State == ec2sim.StateShuttingDown {
			continue
		}
		for _, t := range in.Tags {
			if t.Key == wal.TagGroup {
				live[t.Value]++
			}
		}
	}
	want := map[string]int{}
	for g := range f.Groups {
		want[fmt.Sprintf("g%d", g)] = f.Want
	}
	seen := f.instances() + len(sim.SecurityGroups())
	if rep.Changes != (reconcile.ObservedChanges{New: seen}) || !sameCounts(live, want) {
		tb.Fatalf("not converged: changes %+v, want {New:%d} (%d instances, %d security groups); live %v, want %v",
			rep.Changes, seen, f.instances(), len(sim.SecurityGroups()), live, want)
	}
}

// checkSettled checks the second cycle over the converged fleet: it plans
// no change and writes no decision (the unmanaged default groups' reports
// are the previous cycle's, not recorded again); it records only what the
// first cycle's own actions did — the launched instances now visible, the
// deleted ones gone — and its summary, after records records.
func (f fleet) checkSettled(tb testing.TB, sim *ec2sim.Server, log reconcile.MemoryLog, records int, rep reconcile.Report) {
	tb.Helper()
	checkNoPlan(tb, rep)
	changes := reconcile.ObservedChanges{New: f.Groups * (f.Want - f.Have), Gone: f.Old}
	groups := len(sim.SecurityGroups())
	counts := reconcile.Counts{Observed: f.Groups*f.Want + groups, InSync: f.Groups * f.Want, Unmanaged: groups}
	written := log.RecordCount() - records
	if rep.Failures != 0 || rep.Changes != changes || rep.Counts != counts || written != changes.New+changes.Gone+1 {
		tb.Fatalf("settled fleet: changes %+v, want %+v; counts %+v, want %+v; %d records, want %d; %d failures",
			rep.Changes, changes, rep.Counts, counts, written, changes.New+changes.Gone+1, rep.Failures)
	}
}

// checkNoPlan fails tb for every decision of rep that changes the cloud or
// that the cycle wrote (a settled fleet's reports were written before).
func checkNoPlan(tb testing.TB, rep reconcile.Report) {
	tb.Helper()
	for _, d := range rep.Decisions {
		if d.Action.Actionable() || d.Recorded {
			tb.Errorf("settled fleet: the cycle plans %s %s%s (recorded %v): %s",
				d.Action.Action, d.Action.Group, d.Action.ResourceID, d.Recorded, d.Action.Reason)
		}
	}
}

// sameCounts reports whether a and b hold the same counts.
func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}
