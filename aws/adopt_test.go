package aws

import (
	"context"
	"errors"
	"reflect"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

func adoptCall(kind wal.ResourceKind, id, unit, decision string, extra map[string]string) reconcile.Call {
	tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: unit, wal.TagDecision: decision}
	for k, v := range extra {
		tags[k] = v
	}
	return reconcile.Call{Action: wal.ActionAdopt, Decisions: []reconcile.CallDecision{{DecisionID: decision,
		Action: reconcile.PlannedAction{Action: wal.ActionAdopt, Kind: kind, ResourceID: id, Group: unit, SetTags: tags}}}}
}

// observeOne observes kind k and returns resource id.
func (e *env) observeOne(k wal.ResourceKind, id string) wal.Resource {
	e.t.Helper()
	kp, err := e.p.Kind(context.Background(), k)
	if err != nil {
		e.t.Fatal(err)
	}
	rs, err := kp.Observe(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	e.t.Fatalf("%s %s not observed", k, id)
	return wal.Resource{}
}

// TestAdoptWritesOnlyTheManagementTags: adopting an instance, a security
// group and a volume someone else made writes ovi:managed, ovi:group and
// ovi:decision and leaves every other tag (a blessing included) as it was;
// writing them again (a new leader's retry) changes nothing.
func TestAdoptWritesOnlyTheManagementTags(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ctx := context.Background()
	inst := e.launchUnmanaged(1)[0]
	_, err := e.raw.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inst},
		Tags: []types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("data")}, {Key: awssdk.String(wal.TagBlessed), Value: awssdk.String("true")}}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := e.raw.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: awssdk.String("web"), Description: awssdk.String("by hand")})
	if err != nil {
		t.Fatal(err)
	}
	vol, err := e.raw.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: awssdk.String(testRegion + "a"), Size: awssdk.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind wal.ResourceKind
		id   string
		want map[string]string
	}{
		{wal.ResourceInstance, inst, map[string]string{"team": "data", wal.TagBlessed: "true"}},
		{wal.ResourceSecurityGroup, awssdk.ToString(sg.GroupId), map[string]string{}},
		{wal.ResourceVolume, awssdk.ToString(vol.VolumeId), map[string]string{}},
	} {
		kp, err := e.p.Kind(ctx, c.kind)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if res := kp.Execute(ctx, adoptCall(c.kind, c.id, "u", "d-1", nil)); len(res.Errs) != 1 || res.Errs[0] != nil {
				t.Fatalf("adopt %s: %v", c.id, res.Errs)
			}
		}
		c.want[wal.TagManaged], c.want[wal.TagGroup], c.want[wal.TagDecision] = "true", "u", "d-1"
		got := e.observeOne(c.kind, c.id)
		if !reflect.DeepEqual(got.Tags, c.want) || !got.Managed || got.Group != "u" {
			t.Errorf("%s after adoption: tags %v managed %t group %q, want %v", c.id, got.Tags, got.Managed, got.Group, c.want)
		}
	}
}

// TestAdoptRefusesOtherTags: an adopt decision that would write a user
// tag, change ovi:blessed or remove anything is refused before any call.
func TestAdoptRefusesOtherTags(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	inst := e.launchUnmanaged(1)[0]
	kp, err := e.p.Kind(context.Background(), wal.ResourceInstance)
	if err != nil {
		t.Fatal(err)
	}
	remove := adoptCall(wal.ResourceInstance, inst, "u", "d-3", nil)
	remove.Decisions[0].Action.RemoveTags = []string{"team"}
	e.sim.ResetCounts()
	for _, call := range []reconcile.Call{
		adoptCall(wal.ResourceInstance, inst, "u", "d-1", map[string]string{"team": "x"}),
		adoptCall(wal.ResourceInstance, inst, "u", "d-2", map[string]string{wal.TagBlessed: "true"}),
		remove,
	} {
		res := kp.Execute(context.Background(), call)
		var pe *reconcile.ProviderError
		if !errors.As(res.Errs[0], &pe) || pe.Code != CodeInvalidRequest || !pe.Terminal {
			t.Errorf("%+v: %v, want a terminal InvalidRequest", call.Decisions[0].Action.SetTags, res.Errs[0])
		}
	}
	if n := e.calls("CreateTags"); n != 0 {
		t.Errorf("%d CreateTags calls, want none", n)
	}
}
