package reconcile

import (
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// recordedAs is a decision as a node reads it back from a log written in
// format: encoded and decoded.
func recordedAs(t *testing.T, a PlannedAction, id string, format byte) wal.Record {
	t.Helper()
	rec := wal.Record{Kind: wal.KindDecided, ResourceID: a.ResourceID, DecisionID: id, CycleID: "c-1",
		Time: time.Date(2025, 11, 25, 10, 30, 0, 0, time.UTC), Decided: a.Decided(false)}
	b, err := wal.EncodeRecordAs(nil, &rec, format)
	if err != nil {
		t.Fatalf("encode as format %d: %v", format, err)
	}
	got, err := wal.DecodeRecord(b)
	if err != nil {
		t.Fatalf("decode format %d: %v", format, err)
	}
	return got
}

// TestVolumeTargetRecordedTypedAndReplayedInBothFormats: a modify and an
// attach are recorded with their typed target in format 6 (Size empty)
// and as text in format 5; `ovi why` replays both as identical, and
// recovery rebuilds the same typed target from either.
func TestVolumeTargetRecordedTypedAndReplayedInBothFormats(t *testing.T) {
	spec := dbSpec(nil)
	spec.Volume.SizeGiB, spec.Volume.Iops = 200, 6000
	cfg := volumeConfig(deleteOn, spec)
	obs := []wal.Resource{dbInstance("i-2", 2), vol("vol-1", "prod-database", 100, "")}
	plan := Replay(DefaultKinds(), cfg, obs, RecordedInputs("v1", "d", 2, Memory{}))
	wantActions(t, plan,
		"modify prod-database/vol-1: Modify: size_gib 100 → 200, iops 3000 → 6000",
		"attach prod-database/vol-1: Attach: attach_to db (i-2 at /dev/sdf)")
	want := []wal.VolumeTarget{{VolumeType: "gp3", SizeGiB: 200, Iops: 6000}, {InstanceID: "i-2", Device: "/dev/sdf"}}
	for i, a := range plan.Actions {
		id := "c-1-" + string(rune('1'+i))
		v6, v5 := recordedAs(t, a, id, wal.FormatV6), recordedAs(t, a, id, wal.FormatV5)
		if v6.Decided.Size != "" || v6.Decided.Volume == nil || *v6.Decided.Volume != want[i] {
			t.Errorf("%s in format 6: size %q, volume %+v", a.Action, v6.Decided.Size, v6.Decided.Volume)
		}
		if v5.Decided.Volume != nil || v5.Decided.Size != want[i].String() {
			t.Errorf("%s in format 5: size %q, volume %+v", a.Action, v5.Decided.Size, v5.Decided.Volume)
		}
		for _, rec := range []wal.Record{v5, v6} {
			if v := ReplayDecision(plan, id, rec.Decided); !v.Identical {
				t.Errorf("%s recorded in format %v replays with %+v", a.Action, rec.Decided.Volume != nil, v.Diffs)
			}
			p := plannedFrom(rec)
			if got, err := p.Target(); err != nil || got != want[i] || p.Volume == nil || p.Size != want[i].String() {
				t.Errorf("%s rebuilt as %+v (%v), want %+v", a.Action, p, err, want[i])
			}
		}
	}
}

func inZone(r wal.Resource, zone string) wal.Resource {
	i := *r.Instance
	i.AvailabilityZone = zone
	r.Instance = &i
	return r
}

// TestVolumeAttachStaysInItsZone: the attach goes to the first member in
// the volume's zone; with every member elsewhere it is a refusal naming
// them; a member whose zone is not known (observed before format 6) is
// tried as before.
func TestVolumeAttachStaysInItsZone(t *testing.T) {
	cfg := volumeConfig(deleteOn, dbSpec(nil))
	cfg.Groups[0].Count = 2
	volume := vol("vol-1", "prod-database", 100, "")
	p := Decide(cfg, []wal.Resource{inZone(dbInstance("i-1", 1), "us-east-1b"), inZone(dbInstance("i-2", 2), "us-east-1a"), volume}, Memory{})
	wantActions(t, p, "attach prod-database/vol-1: Attach: attach_to db (i-2 at /dev/sdf)")
	p = Decide(cfg, []wal.Resource{inZone(dbInstance("i-1", 1), "us-east-1b"), inZone(dbInstance("i-2", 2), "us-east-1c"), volume}, Memory{})
	wantActions(t, p, "refuse prod-database/vol-1: Refused: attach_to db has no instance in us-east-1a (i-1 in us-east-1b, i-2 in us-east-1c), "+
		"and EBS attaches a volume only within its availability zone (InvalidVolume.ZoneMismatch)")
	p = Decide(cfg, []wal.Resource{inZone(dbInstance("i-1", 1), "us-east-1b"), dbInstance("i-2", 2), volume}, Memory{})
	wantActions(t, p, "attach prod-database/vol-1: Attach: attach_to db (i-2 at /dev/sdf)")
}
