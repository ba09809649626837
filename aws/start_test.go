package aws

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// TestStartStartsStoppedInstancesInOneCall: the instance executor's start
// (drift "stopped, desired running") is one StartInstances for the batch,
// and an instance blessed since the decision is refused, not started.
func TestStartStartsStoppedInstancesInOneCall(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 3, nil)
	ctx := context.Background()
	e.clock.sim.Advance(time.Minute) // running
	if _, err := e.raw.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	e.clock.sim.Advance(time.Minute) // stopped
	if _, err := e.raw.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids[2:],
		Tags: []types.Tag{{Key: awssdk.String(wal.TagBlessed), Value: awssdk.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCounts()
	kp, err := e.p.Kind(ctx, wal.ResourceInstance)
	if err != nil {
		t.Fatal(err)
	}
	call := reconcile.Call{Action: wal.ActionStart}
	for _, id := range ids {
		call.Decisions = append(call.Decisions, reconcile.CallDecision{Action: reconcile.PlannedAction{Action: wal.ActionStart, ResourceID: id}})
	}
	res := kp.Execute(ctx, call)
	if res.Errs[0] != nil || res.Errs[1] != nil {
		t.Fatalf("start: %v", res.Errs)
	}
	wantCode(t, res.Errs[2], CodeBlessed, true)
	if n := e.calls("StartInstances"); n != 1 {
		t.Fatalf("StartInstances calls = %d, want 1", n)
	}
	for i, id := range ids {
		want := ec2sim.StatePending
		if i == 2 {
			want = ec2sim.StateStopped
		}
		if got := e.simInstance(id).State; got != want {
			t.Fatalf("%s is %s, want %s", id, got, want)
		}
	}
}
