package aws

import (
	"context"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// volumeUnit is the desired prod-database volume.
func volumeUnit(size int64) *reconcile.Unit {
	return &reconcile.Unit{Kind: wal.ResourceVolume, Name: "prod-database", Count: 1, Spec: &wal.Spec{
		Kind: wal.ResourceVolume, Name: "prod-database",
		Volume: &wal.VolumeSpec{AvailabilityZone: testRegion + "a", SizeGiB: size, VolumeType: "gp3"},
	}}
}

// kindOf is the provider's volume kind.
func (e *env) volumes() reconcile.KindProvider {
	e.t.Helper()
	kp, err := e.p.Kind(context.Background(), wal.ResourceVolume)
	if err != nil {
		e.t.Fatal(err)
	}
	return kp
}

// createVolume executes a create decision and returns the id.
func (e *env) createVolume(decision string, size int64, extra map[string]string) string {
	e.t.Helper()
	tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: "prod-database", wal.TagDecision: decision}
	for k, v := range extra {
		tags[k] = v
	}
	res := e.volumes().Execute(context.Background(), reconcile.Call{Action: wal.ActionCreate, Unit: volumeUnit(size),
		Decisions: []reconcile.CallDecision{{DecisionID: decision, ClientToken: reconcile.ClientToken(decision),
			Action: reconcile.PlannedAction{Action: wal.ActionCreate, Kind: wal.ResourceVolume, Group: "prod-database", Count: 1, SetTags: tags}}}})
	if res.Errs[0] != nil || len(res.Created) != 1 {
		e.t.Fatalf("create volume: %v, created %v", res.Errs[0], res.Created)
	}
	return res.Created[0]
}

// act executes one decision on a volume and returns its error.
func (e *env) act(action wal.Action, id, target string) error {
	res := e.volumes().Execute(context.Background(), reconcile.Call{Action: action, Decisions: []reconcile.CallDecision{{
		DecisionID: "d-" + action.String(), Action: reconcile.PlannedAction{Action: action, Kind: wal.ResourceVolume, ResourceID: id, Size: target}}}})
	return res.Errs[0]
}

func (e *env) simVolume(id string) ec2sim.Volume {
	e.t.Helper()
	for _, v := range e.sim.Volumes() {
		if v.ID == id {
			return v
		}
	}
	e.t.Fatalf("volume %s not in the simulator", id)
	return ec2sim.Volume{}
}

func TestVolumeCreateIsIdempotentAcrossRetries(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	first := e.createVolume("c1-0001", 100, nil)
	again := e.createVolume("c1-0001", 100, nil) // a new leader retrying the same decision
	if again != first || len(e.sim.Volumes()) != 1 {
		t.Fatalf("retry created %s beside %s (%d volumes)", again, first, len(e.sim.Volumes()))
	}
	found, err := e.volumes().FindByDecision(context.Background(), "c1-0001")
	if err != nil || len(found) != 1 || found[0].ID != first || found[0].Group != "prod-database" || !found[0].Managed {
		t.Fatalf("FindByDecision = %+v, %v", found, err)
	}
}

func TestVolumeObserveIsOnePagedDescribe(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id := e.createVolume("c1-0001", 100, map[string]string{wal.TagBlessed: "true"})
	e.sim.ResetCounts()
	got, err := e.volumes().Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e.calls("DescribeVolumes") != 1 || len(got) != 1 {
		t.Fatalf("%d calls, %d volumes", e.calls("DescribeVolumes"), len(got))
	}
	r := got[0]
	if r.ID != id || r.Kind != wal.ResourceVolume || r.Volume.SizeGiB != 100 || r.Volume.VolumeType != "gp3" ||
		r.Volume.AvailabilityZone != testRegion+"a" || !r.Blessed() || r.Volume.LaunchTime == 0 {
		t.Fatalf("observed %+v %+v", r, r.Volume)
	}
}

func TestVolumeModifyAttachDetachDelete(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	inst := e.create("db", 1, nil)[0]
	e.clock.sim.Advance(time.Minute) // running; the volume available
	id := e.createVolume("c1-0001", 100, nil)
	e.clock.sim.Advance(time.Minute)
	if err := e.act(wal.ActionModify, id, "gp3 200GiB 4000iops"); err != nil {
		t.Fatal(err)
	}
	if v := e.simVolume(id); v.SizeGiB != 200 || v.Iops != 4000 {
		t.Fatalf("after modify %+v", v)
	}
	wantCode(t, e.act(wal.ActionModify, id, "gp3 300GiB"), "VolumeModificationRateExceeded", true)
	if err := e.act(wal.ActionAttach, id, inst+" /dev/sdf"); err != nil {
		t.Fatal(err)
	}
	e.clock.sim.Advance(time.Minute)
	wantCode(t, e.act(wal.ActionDelete, id, ""), "VolumeInUse", false)
	if err := e.act(wal.ActionDetach, id, inst+" /dev/sdf"); err != nil {
		t.Fatal(err)
	}
	e.clock.sim.Advance(time.Minute)
	if v := e.simVolume(id); v.Attachment != nil || v.State != ec2sim.VolumeAvailable {
		t.Fatalf("after detach %+v", v)
	}
	if err := e.act(wal.ActionDelete, id, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.act(wal.ActionDelete, id, ""); err != nil {
		t.Fatalf("deleting a deleted volume again: %v", err)
	}
}

func TestVolumeBlessedIsNeverDetachedOrDeleted(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	inst := e.create("db", 1, nil)[0]
	e.clock.sim.Advance(time.Minute)
	id := e.createVolume("c1-0001", 100, map[string]string{wal.TagBlessed: "true"})
	e.clock.sim.Advance(time.Minute)
	if err := e.act(wal.ActionAttach, id, inst+" /dev/sdf"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.act(wal.ActionDetach, id, inst+" /dev/sdf"), CodeBlessed, true)
	wantCode(t, e.act(wal.ActionDelete, id, ""), CodeBlessed, true)
	if e.calls("DetachVolume") != 0 || e.calls("DeleteVolume") != 0 {
		t.Fatalf("blessed volume: %d detach and %d delete calls reached EC2", e.calls("DetachVolume"), e.calls("DeleteVolume"))
	}
}
