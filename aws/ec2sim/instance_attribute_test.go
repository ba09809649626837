package ec2sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// protection reads an instance's DisableApiTermination through the SDK.
func (h *harness) protection(t testing.TB, id string) bool {
	t.Helper()
	out, err := h.client.DescribeInstanceAttribute(context.Background(), &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String(id), Attribute: types.InstanceAttributeNameDisableApiTermination})
	if err != nil {
		t.Fatalf("describe disableApiTermination of %s: %v", id, err)
	}
	if aws.ToString(out.InstanceId) != id || out.DisableApiTermination == nil {
		t.Fatalf("answer for %s: id %q, attribute %+v", id, aws.ToString(out.InstanceId), out.DisableApiTermination)
	}
	return aws.ToBool(out.DisableApiTermination.Value)
}

func (h *harness) protect(t testing.TB, id string, on bool) {
	t.Helper()
	_, err := h.client.ModifyInstanceAttribute(context.Background(), &ec2.ModifyInstanceAttributeInput{
		InstanceId: aws.String(id), DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(on)}})
	if err != nil {
		t.Fatalf("set disableApiTermination=%v on %s: %v", on, id, err)
	}
}

// Termination protection: off at launch, set and cleared with
// ModifyInstanceAttribute in any live state, and honoured by
// TerminateInstances, which refuses the whole call naming the instance.
func TestTerminationProtection(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 2, "")
	h.clock.Advance(10 * time.Second)
	if h.protection(t, ids[0]) {
		t.Fatal("a new instance is protected")
	}
	h.protect(t, ids[0], true)
	if !h.protection(t, ids[0]) || h.protection(t, ids[1]) {
		t.Fatal("protection not set on exactly the one instance")
	}
	ctx := context.Background()
	_, err := h.client.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	wantCode(t, err, "OperationNotPermitted")
	if !strings.Contains(err.Error(), ids[0]) || strings.Contains(err.Error(), ids[1]) {
		t.Fatalf("the refusal names the wrong instance: %v", err)
	}
	for _, id := range ids {
		if got := h.stateOf(t, id); got != types.InstanceStateNameRunning {
			t.Fatalf("%s is %s after a refused call, want running (all or nothing)", id, got)
		}
	}
	h.protect(t, ids[0], false)
	if out := h.terminate(t, ids...); len(out.TerminatingInstances) != 2 {
		t.Fatalf("unprotected: %d terminating, want 2", len(out.TerminatingInstances))
	}
	_, err = h.client.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
		InstanceId: aws.String(ids[0]), DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "IncorrectInstanceState")
}

func TestInstanceAttributeErrors(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.run(t, 1, "")[0]
	ctx := context.Background()
	_, err := h.client.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String(id), Attribute: types.InstanceAttributeNameUserData})
	wantCode(t, err, "UnsupportedOperation")
	_, err = h.client.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String(id), Attribute: "bogus"})
	wantCode(t, err, "InvalidParameterValue")
	_, err = h.client.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String("i-0123456789abcdef0"), Attribute: types.InstanceAttributeNameDisableApiTermination})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	out, err := h.client.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String(id), Attribute: types.InstanceAttributeNameInstanceType})
	if err != nil || out.InstanceType == nil || aws.ToString(out.InstanceType.Value) == "" {
		t.Fatalf("instanceType: %+v, %v", out, err)
	}
	_, err = h.client.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id),
		DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)},
		InstanceType:          &types.AttributeValue{Value: aws.String("m5.large")}})
	wantCode(t, err, "InvalidParameterCombination")
	if h.protection(t, id) {
		t.Fatal("a refused call changed the protection")
	}
}

// RunInstances with DisableApiTermination launches protected instances.
func TestLaunchWithTerminationProtection(t *testing.T) {
	h := newHarness(t, quietOptions())
	in := runInput(2, "")
	in.DisableApiTermination = aws.Bool(true)
	out, err := h.client.RunInstances(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range out.Instances {
		if !h.protection(t, aws.ToString(inst.InstanceId)) {
			t.Fatalf("%s launched unprotected", aws.ToString(inst.InstanceId))
		}
	}
}
