package aws

import (
	"context"
	"fmt"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// TestBucketTime: the budget's time is EC2's token bucket arithmetic,
// buckets full at the start: 5 launches fit the RunInstances burst, each
// further one waits 1/2 s; the mutating bucket refills at 5/s while
// launches wait, but never beyond its burst of 50.
func TestBucketTime(t *testing.T) {
	l := DefaultLimits()
	cases := []struct {
		calls []reconcile.OperationCalls
		want  time.Duration
	}{
		{nil, 0},
		{[]reconcile.OperationCalls{calls("RunInstances", 5)}, 0},
		{[]reconcile.OperationCalls{calls("RunInstances", 10)}, 2500 * time.Millisecond},
		{[]reconcile.OperationCalls{calls("CreateTags", 100), calls("DeleteTags", 20)}, 2 * time.Second},
		{[]reconcile.OperationCalls{calls("TerminateInstances", 60)}, 2 * time.Second},
		{[]reconcile.OperationCalls{calls("RunInstances", 10), calls("TerminateInstances", 60)}, 4500 * time.Millisecond},
		{[]reconcile.OperationCalls{calls("DescribeInstances", 120)}, time.Second},
	}
	for _, c := range cases {
		if got := bucketTime(l, c.calls); got != c.want {
			t.Errorf("%v: %v, want %v", c.calls, got, c.want)
		}
	}
	slow := l
	slow.RunInstances = Bucket{Burst: 1, Rate: 1}
	if got := bucketTime(slow, []reconcile.OperationCalls{calls("RunInstances", 10)}); got != 9*time.Second {
		t.Errorf("a 1/s limiter: %v, want 9s", got)
	}
}

// TestLimiterWaitIsCounted: 8 launches under one tally make 8 counted
// RunInstances (the SDK middleware counts them) and wait on the limiter
// exactly the time the budget predicts for them (1.5 s on the provider's
// clock: burst 5, then 1/2 s each).
func TestLimiterWaitIsCounted(t *testing.T) {
	e := newEnv(t, ec2sim.Options{Lifecycle: &ec2sim.Lifecycle{}}, Options{})
	tally := reconcile.NewCallTally()
	ctx := reconcile.WithTally(context.Background(), tally)
	k := instanceKind{e.p}
	var predicted []reconcile.OperationCalls
	for i := range 8 {
		id := fmt.Sprintf("d-%d", i)
		call := reconcile.Call{Action: wal.ActionCreate, Decisions: []reconcile.CallDecision{{DecisionID: id,
			ClientToken: reconcile.ClientToken(id), Action: reconcile.PlannedAction{Action: wal.ActionCreate, Group: "web",
				Count: 1, Size: "t3.micro", ImageID: ec2sim.NewestAL2023, SetTags: map[string]string{wal.TagManaged: "true"}}}}}
		predicted = append(predicted, k.ExecuteCalls(call)...)
		if res := k.Execute(ctx, call); res.Errs[0] != nil {
			t.Fatalf("launch %d: %v", i, res.Errs[0])
		}
	}
	counted, waited := tally.Counts()
	if len(counted) != 1 || counted[0] != calls("RunInstances", 8) || e.calls("RunInstances") != 8 {
		t.Fatalf("counted %+v, simulator %d", counted, e.calls("RunInstances"))
	}
	limiter, cloud := k.BudgetTime(predicted)
	if limiter != 1500*time.Millisecond || cloud != limiter || waited != limiter {
		t.Errorf("predicted limiter %v, EC2 %v; waited %v (want 1.5s each)", limiter, cloud, waited)
	}
}

// TestBatchedTagCalls: a tag change on 2,500 instances predicts and makes
// three CreateTags and three DeleteTags (batches of 1,000); ovi:blessed is
// never removed, so removing only it predicts no DeleteTags.
func TestBatchedTagCalls(t *testing.T) {
	ids := make([]string, 2500)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-%017x", i)
	}
	got := tagCalls(TagRequest{IDs: ids, Set: map[string]string{"team": "a"}, Remove: []string{"old"}}, maxBatch)
	if len(got) != 2 || got[0] != calls("CreateTags", 3) || got[1] != calls("DeleteTags", 3) {
		t.Errorf("2,500 ids: %+v", got)
	}
	if got := tagCalls(TagRequest{IDs: ids[:1], Remove: []string{wal.TagBlessed}}, maxBatch); len(got) != 0 {
		t.Errorf("removing only ovi:blessed predicts %+v", got)
	}
}

// TestAdoptCallsPredicted: adopting an instance, a security group and a
// volume predicts one CreateTags each, as the simulator counts them; an
// adoption the provider refuses predicts none.
func TestAdoptCallsPredicted(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ctx := context.Background()
	ids := map[wal.ResourceKind]string{wal.ResourceInstance: e.launchUnmanaged(1)[0]}
	sg, err := e.raw.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: awssdk.String("web"), Description: awssdk.String("by hand")})
	if err != nil {
		t.Fatal(err)
	}
	vol, err := e.raw.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String(testRegion + "a"), Size: awssdk.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	ids[wal.ResourceSecurityGroup], ids[wal.ResourceVolume] = awssdk.ToString(sg.GroupId), awssdk.ToString(vol.VolumeId)
	for kind, id := range ids {
		kp, err := e.p.Kind(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		b := kp.(reconcile.Budgeter)
		e.sim.ResetCounts()
		call := adoptCall(kind, id, "u", "d-1", nil)
		predicted := b.ExecuteCalls(call)
		if res := kp.Execute(ctx, call); res.Errs[0] != nil {
			t.Fatal(res.Errs[0])
		}
		if len(predicted) != 1 || predicted[0] != calls("CreateTags", 1) || e.calls("CreateTags") != 1 || len(e.sim.Counts()) != 1 {
			t.Errorf("%s: predicted %+v, simulator %v", kind, predicted, e.sim.Counts())
		}
		if got := b.ExecuteCalls(adoptCall(kind, id, "u", "d-1", map[string]string{"team": "x"})); len(got) != 0 {
			t.Errorf("%s: a refused adoption predicts %+v", kind, got)
		}
	}
}
