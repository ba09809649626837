package aws

import (
	"context"
	"slices"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

var (
	tcp443 = wal.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "0.0.0.0/0"}
	allOut = wal.Rule{Protocol: wal.ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}
)

func sgKind(t *testing.T, e *env) reconcile.KindProvider {
	t.Helper()
	k, err := e.p.Kind(context.Background(), wal.ResourceSecurityGroup)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sgCreateCall(name, decision string, sg *wal.SecurityGroup) reconcile.Call {
	spec := wal.Spec{Kind: wal.ResourceSecurityGroup, Name: name, SecurityGroup: sg}
	return reconcile.Call{Action: wal.ActionCreate, Unit: &reconcile.Unit{Kind: wal.ResourceSecurityGroup, Name: name, Count: 1, Spec: &spec},
		Decisions: []reconcile.CallDecision{{DecisionID: decision, Action: reconcile.PlannedAction{Action: wal.ActionCreate,
			Kind: wal.ResourceSecurityGroup, Group: name, Count: 1,
			SetTags: map[string]string{wal.TagManaged: "true", wal.TagGroup: name}}}}}
}

func observeGroup(t *testing.T, k reconcile.KindProvider, id string) wal.Resource {
	t.Helper()
	all, err := k.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("group %s not observed", id)
	return wal.Resource{}
}

func TestSecurityGroupCreateIsIdempotentByDecision(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	k := sgKind(t, e)
	lb := &wal.SecurityGroup{Name: "lb", Description: "lb", Egress: []wal.Rule{allOut}}
	lbID := k.Execute(context.Background(), sgCreateCall("lb", "d-0", lb)).Created[0]
	web := &wal.SecurityGroup{Name: "web", Description: "web servers",
		Ingress: []wal.Rule{tcp443, {Protocol: "tcp", FromPort: 8080, ToPort: 8080, Group: "lb"}},
		Egress:  []wal.Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "0.0.0.0/0"}}}
	res := k.Execute(context.Background(), sgCreateCall("web", "d-1", web))
	if res.Errs[0] != nil || len(res.Created) != 1 {
		t.Fatalf("create: %+v", res)
	}
	again := k.Execute(context.Background(), sgCreateCall("web", "d-1", web)) // a new leader's retry
	if again.Errs[0] != nil || again.Created[0] != res.Created[0] {
		t.Fatalf("retry of the same decision: %+v, want the same group %s", again, res.Created[0])
	}
	if n := e.calls("CreateSecurityGroup"); n != 2 {
		t.Fatalf("%d CreateSecurityGroup calls, want 2 (lb, web; the retry creates nothing)", n)
	}
	got := observeGroup(t, k, res.Created[0])
	if !got.Managed || got.Group != "web" || got.Tags[wal.TagDecision] != "d-1" {
		t.Fatalf("observed %+v", got)
	}
	if !slices.Equal(got.SecurityGroup.Ingress, wal.SortRules(slices.Clone(web.Ingress))) || !slices.Equal(got.SecurityGroup.Egress, web.Egress) {
		t.Fatalf("rules in %+v out %+v; the group must reference lb (%s) by name", got.SecurityGroup.Ingress, got.SecurityGroup.Egress, lbID)
	}
	other := k.Execute(context.Background(), sgCreateCall("web", "d-2", web))
	wantCode(t, other.Errs[0], "InvalidGroup.Duplicate", false)
}

func TestSecurityGroupRuleRepairAndDelete(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	k := sgKind(t, e)
	ctx := context.Background()
	id := k.Execute(ctx, sgCreateCall("web", "d-1", &wal.SecurityGroup{Name: "web", Description: "x", Egress: []wal.Rule{allOut}})).Created[0]
	_, err := e.raw.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: awssdk.String(id),
		IpPermissions: []types.IpPermission{{IpProtocol: awssdk.String("tcp"), FromPort: awssdk.Int32(22), ToPort: awssdk.Int32(22),
			IpRanges: []types.IpRange{{CidrIp: awssdk.String("0.0.0.0/0")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	world := wal.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}
	if got := observeGroup(t, k, id).SecurityGroup.Ingress; !slices.Equal(got, []wal.Rule{world}) {
		t.Fatalf("observed ingress %+v", got)
	}
	call := func(action wal.Action, r wal.Rule) error {
		return k.Execute(ctx, reconcile.Call{Action: action, Decisions: []reconcile.CallDecision{{DecisionID: "d-9",
			Action: reconcile.PlannedAction{Action: action, ResourceID: id, Rule: &wal.RuleChange{Rule: r}}}}}).Errs[0]
	}
	for range 2 { // the second time is a retry after failover: nothing to do, no error
		if err := call(wal.ActionRevoke, world); err != nil {
			t.Fatal(err)
		}
		if err := call(wal.ActionAuthorize, tcp443); err != nil {
			t.Fatal(err)
		}
	}
	if got := observeGroup(t, k, id).SecurityGroup.Ingress; !slices.Equal(got, []wal.Rule{tcp443}) {
		t.Fatalf("after repair: %+v", got)
	}
	in := runInputWithGroup(id)
	if _, err := e.raw.RunInstances(ctx, in); err != nil {
		t.Fatal(err)
	}
	del := reconcile.Call{Action: wal.ActionDelete, Decisions: []reconcile.CallDecision{{DecisionID: "d-10",
		Action: reconcile.PlannedAction{Action: wal.ActionDelete, ResourceID: id}}}}
	wantCode(t, k.Execute(ctx, del).Errs[0], "DependencyViolation", false)
}

func runInputWithGroup(id string) *ec2.RunInstancesInput {
	return &ec2.RunInstancesInput{ImageId: awssdk.String(ec2sim.NewestAL2023), MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
		InstanceType: types.InstanceTypeT3Micro, SecurityGroupIds: []string{id}}
}

func TestSecurityGroupObserveIsOnePagedDescribe(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	k := sgKind(t, e)
	all, err := k.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Managed || e.calls("DescribeSecurityGroups") != 1 {
		t.Fatalf("%d groups (the two default groups, unmanaged) in %d calls", len(all), e.calls("DescribeSecurityGroups"))
	}
}
