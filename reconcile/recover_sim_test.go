package reconcile_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// TestRecoverBatchesTagUpdates: a leader left 2,100 tag updates open
// (intent committed, no outcome: their calls' outcomes were lost) with two
// different changes whose decisions interleave in decision-id order. The
// new leader's recovery settles them with one CreateTags per 1,000
// identical changes — 2 for the 1,500 of web, 1 for the 600 of api, as
// the simulator counts them through the real SDK client — not 2,100.
func TestRecoverBatchesTagUpdates(t *testing.T) {
	isolateAWS(t)
	sim, url := startSim(t)
	ids := launchFleet(t, sim, url, 2100)
	log := reconcile.NewMemoryLog()
	changes := map[string]map[string]string{"web": {"team": "b"}, "api": {"env": "x"}}
	var open []wal.Record
	want := map[string]int{}
	for i, id := range ids {
		group := "web"
		if i%7 >= 5 {
			group = "api"
		}
		want[group]++
		open = append(open, openTagUpdate(fmt.Sprintf("c-1-%d", i+1), id, group, changes[group])...)
	}
	if want["web"] != 1500 || want["api"] != 600 {
		t.Fatalf("fixture: %v", want)
	}
	if _, err := log.Propose(context.Background(), open); err != nil {
		t.Fatal(err)
	}
	p, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: url})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := reconcile.New(reconcile.Options{Provider: p, Log: log, State: log})
	if err != nil {
		t.Fatal(err)
	}
	sim.ResetCounts()
	rep, err := eng.Recover(context.Background())
	if err != nil || rep.Failures != 0 || len(rep.Decisions) != len(ids) {
		t.Fatalf("recover: %v, %d failures, %d decisions", err, rep.Failures, len(rep.Decisions))
	}
	if n := sim.Counts()["CreateTags"]; n != 3 {
		t.Errorf("recovering 2,100 tag updates made %d CreateTags calls, want 3 (⌈1500/1000⌉ + ⌈600/1000⌉)", n)
	}
	for _, in := range sim.Instances() {
		group := tagValue(in.Tags, wal.TagGroup)
		for k, v := range changes[group] {
			if tagValue(in.Tags, k) != v {
				t.Fatalf("%s (%s): %s=%q, want %q", in.ID, group, k, tagValue(in.Tags, k), v)
			}
		}
	}
	if left, _ := log.OpenIntents(context.Background()); len(left) != 0 {
		t.Errorf("%d intents still open", len(left))
	}
}

// launchFleet launches n managed instances with throttling off and
// returns their ids.
func launchFleet(t *testing.T, sim *ec2sim.Server, url string, n int) []string {
	t.Helper()
	sim.SetThrottle(ec2sim.Throttle{Disabled: true})
	defer sim.SetThrottle(ec2sim.Throttle{})
	fast := aws.Bucket{Burst: 1000, Rate: 1000}
	p, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: url,
		Limits: aws.Limits{RunInstances: fast, Mutating: fast, Tags: fast, Describe: fast}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Create(context.Background(), aws.CreateRequest{Group: "fleet", Count: n, Size: "t3.micro",
		ImageID: ec2sim.NewestAL2023, Tags: map[string]string{wal.TagManaged: "true"}, DecisionID: "seed", ClientToken: "seed"})
	if err != nil || len(res.IDs) != n {
		t.Fatalf("launch %d: %d, %v", n, len(res.IDs), err)
	}
	return res.IDs
}

// openTagUpdate is a tag update as a leader that lost its call's outcome
// leaves it: decided and executing, nothing after. The instance's
// ovi:group is set to group so the test can tell the changes apart.
func openTagUpdate(decisionID, id, group string, set map[string]string) []wal.Record {
	tags := map[string]string{wal.TagGroup: group}
	for k, v := range set {
		tags[k] = v
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []wal.Record{
		{Kind: wal.KindDecided, ResourceID: id, DecisionID: decisionID, CycleID: "c-1", Time: at,
			Decided: &wal.Decided{Action: wal.ActionUpdateTags, Drift: wal.DriftDrifted, ResourceKind: wal.ResourceInstance,
				Reason: "Update: tags differ", Group: group, SetTags: tags}},
		{Kind: wal.KindExecuting, ResourceID: id, DecisionID: decisionID, CycleID: "c-1", Time: at,
			Executing: &wal.Executing{Action: wal.ActionUpdateTags, Description: "Starting tag update", Attempt: 1}},
	}
}

func tagValue(tags []ec2sim.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}
