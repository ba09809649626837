package ec2sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestLaunchIsPendingThenRunning(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.run(t, 1, "")[0]
	if got := h.stateOf(t, id); got != types.InstanceStateNamePending {
		t.Fatalf("state %s, want pending", got)
	}
	h.clock.Advance(9 * time.Second)
	if got := h.stateOf(t, id); got != types.InstanceStateNamePending {
		t.Fatalf("after 9s state %s, want pending", got)
	}
	h.clock.Advance(time.Second)
	if got := h.stateOf(t, id); got != types.InstanceStateNameRunning {
		t.Fatalf("after 10s state %s, want running", got)
	}
}

func TestTerminateLifecycle(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 3, "")
	h.clock.Advance(10 * time.Second)
	out := h.terminate(t, ids[0], ids[1])
	if len(out.TerminatingInstances) != 2 {
		t.Fatalf("%d state changes, want 2", len(out.TerminatingInstances))
	}
	for _, c := range out.TerminatingInstances {
		if c.PreviousState.Name != types.InstanceStateNameRunning || c.CurrentState.Name != types.InstanceStateNameShuttingDown ||
			aws.ToInt32(c.CurrentState.Code) != 32 || aws.ToInt32(c.PreviousState.Code) != 16 {
			t.Fatalf("%s: %s(%d) -> %s(%d)", aws.ToString(c.InstanceId), c.PreviousState.Name, aws.ToInt32(c.PreviousState.Code),
				c.CurrentState.Name, aws.ToInt32(c.CurrentState.Code))
		}
	}
	h.clock.Advance(10 * time.Second)
	if got := h.stateOf(t, ids[0]); got != types.InstanceStateNameTerminated {
		t.Fatalf("state %s, want terminated", got)
	}
	again := h.terminate(t, ids[0])
	if c := again.TerminatingInstances[0]; c.PreviousState.Name != types.InstanceStateNameTerminated || c.CurrentState.Name != types.InstanceStateNameTerminated {
		t.Fatalf("terminating a terminated instance: %s -> %s", c.PreviousState.Name, c.CurrentState.Name)
	}
	if n := len(h.describeAll(t, &ec2.DescribeInstancesInput{})); n != 3 {
		t.Fatalf("terminated instances must stay visible: %d described", n)
	}
	h.clock.Advance(time.Hour)
	if got := idsOf(h.describeAll(t, &ec2.DescribeInstancesInput{})); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("after retention: %v, want only %s", got, ids[2])
	}
	_, err := h.client.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: []string{ids[0]}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
}

func TestTerminateUnknownIDFailsWholeCall(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 2, "")
	_, err := h.client.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{
		InstanceIds: []string{ids[0], "i-0123456789abcdef0"},
	})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	for _, in := range h.sim.Instances() {
		if in.State != ec2sim.StatePending {
			t.Fatalf("%s changed to %s by a failed call", in.ID, in.State)
		}
	}
}

func TestTerminateBatchLimit(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 1001, "")
	_, err := h.client.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	wantCode(t, err, "InvalidParameterValue")
	out := h.terminate(t, ids[:1000]...)
	if len(out.TerminatingInstances) != 1000 {
		t.Fatalf("%d state changes, want 1000", len(out.TerminatingInstances))
	}
}

func TestStopModifyStart(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.run(t, 1, "")[0]
	ctx := context.Background()
	modify := func() error {
		_, err := h.client.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
			InstanceId: aws.String(id), InstanceType: &types.AttributeValue{Value: aws.String("m5.large")},
		})
		return err
	}
	_, err := h.client.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "IncorrectInstanceState") // still pending
	h.clock.Advance(10 * time.Second)
	wantCode(t, modify(), "IncorrectInstanceState") // running

	stop, err := h.client.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if c := stop.StoppingInstances[0]; c.PreviousState.Name != types.InstanceStateNameRunning || c.CurrentState.Name != types.InstanceStateNameStopping {
		t.Fatalf("stop: %s -> %s", c.PreviousState.Name, c.CurrentState.Name)
	}
	wantCode(t, modify(), "IncorrectInstanceState") // stopping
	_, err = h.client.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "IncorrectInstanceState") // stopping cannot start
	h.clock.Advance(10 * time.Second)
	if got := h.stateOf(t, id); got != types.InstanceStateNameStopped {
		t.Fatalf("state %s, want stopped", got)
	}
	if err := modify(); err != nil {
		t.Fatalf("modify while stopped: %v", err)
	}
	start, err := h.client.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if c := start.StartingInstances[0]; c.PreviousState.Name != types.InstanceStateNameStopped || c.CurrentState.Name != types.InstanceStateNamePending {
		t.Fatalf("start: %s -> %s", c.PreviousState.Name, c.CurrentState.Name)
	}
	h.clock.Advance(10 * time.Second)
	got := h.describeAll(t, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if got[0].State.Name != types.InstanceStateNameRunning || got[0].InstanceType != types.InstanceTypeM5Large {
		t.Fatalf("after resize: %s %s, want running m5.large", got[0].State.Name, got[0].InstanceType)
	}
}

func TestModifyInstanceAttributeValidation(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.run(t, 1, "")[0]
	ctx := context.Background()
	_, err := h.client.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id)})
	wantCode(t, err, "MissingParameter")
	_, err = h.client.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
		InstanceId: aws.String(id), SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)},
	})
	wantCode(t, err, "UnsupportedOperation")
	_, err = h.client.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
		InstanceId: aws.String("i-0123456789abcdef0"), InstanceType: &types.AttributeValue{Value: aws.String("m5.large")},
	})
	wantCode(t, err, "InvalidInstanceID.NotFound")
}
