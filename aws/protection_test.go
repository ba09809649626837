package aws

import (
	"context"
	"reflect"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// protectionOf observes and returns each instance's TerminationProtection.
func protectionOf(t *testing.T, e *env) map[string]bool {
	t.Helper()
	got, err := e.p.Observe(context.Background())
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	out := make(map[string]bool, len(got))
	for _, r := range got {
		out[r.ID] = r.Instance.TerminationProtection
	}
	return out
}

// A blessed group launches protected (RunInstances' DisableApiTermination,
// no extra call); observing costs one DescribeInstanceAttribute per
// managed blessed instance and none for the others; Protect sets the guard
// someone removed.
func TestTerminationProtectionObservedOnBlessedOnly(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	blessed := e.create("db", 3, map[string]string{wal.TagBlessed: "true"})
	plain := e.create("web", 5, nil)
	legacy := e.launchUnmanaged(2)
	if n := e.calls("ModifyInstanceAttribute"); n != 0 {
		t.Fatalf("%d ModifyInstanceAttribute calls at launch, want 0 (RunInstances sets it)", n)
	}
	e.sim.ResetCounts()
	got := protectionOf(t, e)
	if n, d := e.calls("DescribeInstanceAttribute"), e.calls("DescribeInstances"); n != 3 || d != 1 {
		t.Fatalf("observe cost %d DescribeInstanceAttribute and %d DescribeInstances, want 3 and 1", n, d)
	}
	for _, id := range blessed {
		if !got[id] || !e.simInstance(id).DisableAPITermination {
			t.Fatalf("blessed %s: observed protection %v, simulator %v", id, got[id], e.simInstance(id).DisableAPITermination)
		}
	}
	for _, id := range append(plain, legacy...) {
		if got[id] {
			t.Fatalf("%s observed protected", id)
		}
	}
	// Someone removes the guard in the console; observation shows it, and
	// Protect puts it back with one call.
	if _, err := e.raw.ModifyInstanceAttribute(context.Background(), unprotectInput(blessed[0])); err != nil {
		t.Fatal(err)
	}
	if protectionOf(t, e)[blessed[0]] {
		t.Fatal("removed protection observed as on")
	}
	e.sim.ResetCounts()
	if err := e.p.Protect(context.Background(), blessed[0]); err != nil {
		t.Fatalf("Protect: %v", err)
	}
	if n := e.calls("ModifyInstanceAttribute"); n != 1 || !protectionOf(t, e)[blessed[0]] {
		t.Fatalf("Protect: %d calls, protection %v", n, protectionOf(t, e)[blessed[0]])
	}
	call := reconcile.Call{Action: wal.ActionProtect, Decisions: []reconcile.CallDecision{
		{DecisionID: "d-1", Action: reconcile.PlannedAction{Action: wal.ActionProtect, ResourceID: blessed[0]}}}}
	want := []reconcile.OperationCalls{{Operation: "ModifyInstanceAttribute", Bucket: BucketMutating, Calls: 1}}
	if got := (instanceKind{e.p}).ExecuteCalls(call); !reflect.DeepEqual(got, want) {
		t.Fatalf("predicted %+v, want %+v (the call made)", got, want)
	}
}

// A protected instance that is no longer blessed is refused by EC2 at
// delete (OperationNotPermitted, terminal) without failing the rest of
// its batch.
func TestDeleteOfProtectedInstanceFailsAlone(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 3, nil)
	if err := e.p.Protect(context.Background(), ids[1]); err != nil {
		t.Fatal(err)
	}
	outs, err := e.p.Delete(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if i == 1 {
			wantCode(t, o.Err, "OperationNotPermitted", true)
			continue
		}
		if o.Err != nil {
			t.Fatalf("delete %s: %v", o.ID, o.Err)
		}
	}
}

func unprotectInput(id string) *ec2.ModifyInstanceAttributeInput {
	return &ec2.ModifyInstanceAttributeInput{InstanceId: awssdk.String(id),
		DisableApiTermination: &types.AttributeBooleanValue{Value: awssdk.Bool(false)}}
}
