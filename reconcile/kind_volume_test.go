package reconcile

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// dbSpec is the prod-database volume of the tests: 100 GiB gp3 in
// us-east-1a, attached to a member of group db at /dev/sdf.
func dbSpec(tags map[string]string) wal.Spec {
	return wal.Spec{Kind: wal.ResourceVolume, Name: "prod-database", Tags: tags, Volume: &wal.VolumeSpec{
		AvailabilityZone: "us-east-1a", SizeGiB: 100, VolumeType: "gp3", Iops: 3000, Throughput: 125,
		AttachTo: "db", Device: "/dev/sdf",
	}}
}

func volumeConfig(pol wal.Policy, specs ...wal.Spec) wal.Config {
	c := testConfig(pol, wal.Group{Name: "db", Type: "ec2", Count: 1, Size: "t3.micro", Tags: map[string]string{"team": "a"}})
	c.Resources = specs
	return c
}

// vol is a managed volume of unit name as observed, attached to attachedTo
// (or detached when "").
func vol(id, name string, size int64, attachedTo string, extra ...string) wal.Resource {
	tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: name}
	for i := 0; i+1 < len(extra); i += 2 {
		tags[extra[i]] = extra[i+1]
	}
	r := wal.Resource{ID: id, Kind: wal.ResourceVolume, State: "available", Managed: true, Group: name, Tags: tags,
		Volume: &wal.Volume{AvailabilityZone: "us-east-1a", SizeGiB: size, VolumeType: "gp3", Iops: 3000, Throughput: 125}}
	if attachedTo != "" {
		r.State, r.Volume.AttachedTo, r.Volume.Device, r.Volume.AttachmentState = "in-use", attachedTo, "/dev/sdf", "attached"
	}
	return r
}

func dbInstance(id string, launch int64) wal.Resource {
	r := inst(id, "db", "t3.micro", launch)
	return r
}

func TestVolumeInSync(t *testing.T) {
	obs := []wal.Resource{dbInstance("i-1", 1), vol("vol-1", "prod-database", 100, "i-1")}
	p := Decide(volumeConfig(deleteOn, dbSpec(nil)), obs, Memory{})
	wantActions(t, p)
	if p.Counts != (Counts{Observed: 2, InSync: 2}) {
		t.Fatalf("counts %+v", p.Counts)
	}
}

func TestVolumeMissingIsCreatedAfterItsInstances(t *testing.T) {
	p := Decide(volumeConfig(deleteOn, dbSpec(map[string]string{"team": "data"})), nil, Memory{})
	wantActions(t, p,
		"create db/: Create: 1 instance missing from group db",
		"create prod-database/: Create: volume prod-database missing (gp3 100GiB in us-east-1a)")
	c := p.Actions[1]
	if c.Kind != wal.ResourceVolume || c.Size != "gp3 100GiB 3000iops 125MiB/s" ||
		c.SetTags[wal.TagGroup] != "prod-database" || c.SetTags["team"] != "data" || c.SetTags[wal.TagManaged] != "true" {
		t.Fatalf("volume create %+v", c)
	}
}

func TestVolumeDriftIsOneModify(t *testing.T) {
	spec := dbSpec(nil)
	spec.Volume.SizeGiB, spec.Volume.Iops = 200, 6000
	obs := []wal.Resource{dbInstance("i-1", 1), vol("vol-1", "prod-database", 100, "i-1")}
	p := Decide(volumeConfig(deleteOn, spec), obs, Memory{})
	wantActions(t, p, "modify prod-database/vol-1: Modify: size_gib 100 → 200, iops 3000 → 6000")
	if p.Actions[0].Size != "gp3 200GiB 6000iops" || p.Counts.Drifted != 1 {
		t.Fatalf("modify target %q, counts %+v", p.Actions[0].Size, p.Counts)
	}
}

func TestVolumeNeverShrinks(t *testing.T) {
	spec := dbSpec(nil)
	spec.Volume.SizeGiB, spec.Volume.VolumeType, spec.Volume.Iops, spec.Volume.Throughput = 50, "io2", 5000, 0
	obs := []wal.Resource{dbInstance("i-1", 1), vol("vol-1", "prod-database", 100, "i-1")}
	p := Decide(volumeConfig(deleteOn, spec), obs, Memory{})
	wantActions(t, p,
		"modify prod-database/vol-1: Modify: volume_type gp3 → io2, iops 3000 → 5000",
		"refuse prod-database/vol-1: Refused: size_gib differs (100 → 50), but an EBS volume never shrinks (create a smaller one and copy the data)")
	if p.Actions[0].Size != "io2 100GiB 5000iops" {
		t.Fatalf("modify keeps the size: %q", p.Actions[0].Size)
	}
}

func TestVolumeUnwantedIsDetachedThenDeleted(t *testing.T) {
	obs := []wal.Resource{dbInstance("i-1", 1), vol("vol-1", "prod-database", 100, "i-1")}
	p := Decide(volumeConfig(deleteOn), obs, confirmed("vol-1"))
	wantActions(t, p,
		"detach prod-database/vol-1: Detach: from i-1 at /dev/sdf before the volume is deleted",
		"hold prod-database/vol-1: Held: Not in desired configuration; deleted once detach is done")
	obs[1] = vol("vol-1", "prod-database", 100, "")
	p = Decide(volumeConfig(deleteOn), obs, p.Memory)
	wantActions(t, p, "delete prod-database/vol-1: Delete: Not in desired configuration")
}

func TestVolumeUnmanagedIsReported(t *testing.T) {
	foreign := vol("vol-9", "", 50, "")
	foreign.Managed, foreign.Tags, foreign.Group = false, map[string]string{"team": "data"}, ""
	p := Decide(volumeConfig(deleteOn), []wal.Resource{foreign}, Memory{})
	wantActions(t, p,
		"create db/: Create: 1 instance missing from group db",
		"report /vol-9: Report: not managed by Ovi (no ovi:managed tag); never touched")
}

func TestVolumeAttachFollowsAttachTo(t *testing.T) {
	obs := []wal.Resource{dbInstance("i-2", 2), vol("vol-1", "prod-database", 100, "")}
	p := Decide(volumeConfig(deleteOn, dbSpec(nil)), obs, Memory{})
	wantActions(t, p, "attach prod-database/vol-1: Attach: attach_to db (i-2 at /dev/sdf)")
	if p.Actions[0].Size != "i-2 /dev/sdf" {
		t.Fatalf("attach target %q", p.Actions[0].Size)
	}
	creating := vol("vol-1", "prod-database", 100, "")
	creating.State = "creating"
	p = Decide(volumeConfig(deleteOn, dbSpec(nil)), []wal.Resource{dbInstance("i-2", 2), creating}, Memory{})
	wantActions(t, p, "hold prod-database/vol-1: Held: attach_to db waits: the volume is creating")
}

func TestVolumeAttachedElsewhereIsDetachedUnlessBlessed(t *testing.T) {
	obs := []wal.Resource{dbInstance("i-2", 2), vol("vol-1", "prod-database", 100, "i-7")}
	pol := deleteOn
	p := Decide(volumeConfig(pol, dbSpec(nil)), obs, Memory{})
	wantActions(t, p, "refuse prod-database/vol-1: Refused: attachment differs (attached to i-7 at /dev/sdf, want a member of db at /dev/sdf), but policy allow_disruptive is false")
	pol.AllowDisruptive = true
	p = Decide(volumeConfig(pol, dbSpec(nil)), obs, Memory{})
	wantActions(t, p, "detach prod-database/vol-1: Detach: attachment differs (attached to i-7 at /dev/sdf, want a member of db at /dev/sdf)")
	obs[1] = vol("vol-1", "prod-database", 100, "i-7", wal.TagBlessed, "true")
	p = Decide(volumeConfig(pol, dbSpec(map[string]string{wal.TagBlessed: "true"})), obs, Memory{})
	wantActions(t, p, "refuse prod-database/vol-1: Protected: tagged ovi:blessed (attachment differs: attached to i-7 at /dev/sdf, want a member of db at /dev/sdf; a detach takes the disk from its instance)")
}

func TestVolumeBlessedSurvivesRemovalFromTheFile(t *testing.T) {
	obs := []wal.Resource{dbInstance("i-1", 1), vol("vol-1", "prod-database", 100, "i-1", wal.TagBlessed, "true")}
	p := Decide(volumeConfig(deleteOn), obs, confirmed("vol-1"))
	wantActions(t, p, "refuse prod-database/vol-1: Protected: tagged ovi:blessed")
	if p.Counts.Protected != 1 {
		t.Fatalf("counts %+v", p.Counts)
	}
}

func TestVolumeMixedDrift(t *testing.T) {
	spec := dbSpec(map[string]string{"team": "data"})
	spec.Volume.SizeGiB = 150
	other := dbSpec(nil)
	other.Name = "scratch"
	other.Volume.AttachTo, other.Volume.Device = "", ""
	foreign := vol("vol-9", "", 50, "")
	foreign.Managed, foreign.Tags, foreign.Group = false, nil, ""
	obs := []wal.Resource{dbInstance("i-1", 1), vol("vol-1", "prod-database", 100, "i-1", "team", "ops"),
		vol("vol-3", "logs", 10, ""), foreign}
	p := Decide(volumeConfig(deleteOn, spec, other), obs, confirmed("vol-3"))
	wantActions(t, p,
		"create scratch/: Create: volume scratch missing (gp3 100GiB in us-east-1a)",
		"update-tags prod-database/vol-1: Update: tags differ (team: ops → data)",
		"modify prod-database/vol-1: Modify: size_gib 100 → 150",
		"delete logs/vol-3: Delete: Not in desired configuration",
		"report /vol-9: Report: not managed by Ovi (no ovi:managed tag); never touched")
	want := Counts{Observed: 4, InSync: 1, Missing: 1, Unwanted: 1, Drifted: 1, Unmanaged: 1}
	if p.Counts != want {
		t.Fatalf("counts %+v, want %+v", p.Counts, want)
	}
}

func TestVolumePlanIsDeterministic(t *testing.T) {
	spec := dbSpec(nil)
	spec.Volume.SizeGiB = 150
	obs := []wal.Resource{dbInstance("i-1", 1), dbInstance("i-2", 2), vol("vol-1", "prod-database", 100, ""),
		vol("vol-3", "logs", 10, "i-2"), vol("vol-4", "old", 10, "")}
	cfg := volumeConfig(deleteOn, spec)
	cfg.Groups[0].Count = 1
	want := Decide(cfg, obs, confirmed("vol-3", "vol-4", "i-2"))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := append([]wal.Resource(nil), obs...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Decide(cfg, shuffled, confirmed("vol-3", "vol-4", "i-2")); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled inputs gave another plan:\n%v\nwant\n%v", brief(got), brief(want))
		}
	}
	// Dependency order: the volume's detach comes before every delete, the
	// volume deletes before the instance deletes.
	wantActions(t, want,
		"modify prod-database/vol-1: Modify: size_gib 100 → 150",
		"attach prod-database/vol-1: Attach: attach_to db (i-1 at /dev/sdf)",
		"detach logs/vol-3: Detach: from i-2 at /dev/sdf before the volume is deleted",
		"delete old/vol-4: Delete: Not in desired configuration",
		"delete db/i-2: Delete: Surplus in group db (2 live, 1 desired)",
		"hold logs/vol-3: Held: Not in desired configuration; deleted once detach is done")
}

func TestVolumeSettled(t *testing.T) {
	k := VolumeKind{}
	r := vol("vol-1", "prod-database", 200, "i-1")
	cases := []struct {
		a    PlannedAction
		want bool
	}{
		{PlannedAction{Action: wal.ActionModify, Size: "gp3 200GiB"}, true},
		{PlannedAction{Action: wal.ActionModify, Size: "gp3 300GiB"}, false},
		{PlannedAction{Action: wal.ActionModify, Size: "gp3 200GiB 4000iops"}, false},
		{PlannedAction{Action: wal.ActionAttach, Size: "i-1 /dev/sdf"}, true},
		{PlannedAction{Action: wal.ActionAttach, Size: "i-2 /dev/sdf"}, false},
		{PlannedAction{Action: wal.ActionDetach, Size: "i-1 /dev/sdf"}, false},
	}
	for _, tc := range cases {
		if got := k.Settled(tc.a, &r); got != tc.want {
			t.Errorf("Settled(%s %s) = %v, want %v", tc.a.Action, tc.a.Size, got, tc.want)
		}
	}
}
