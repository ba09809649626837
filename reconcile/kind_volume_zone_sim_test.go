package reconcile_test

import (
	"context"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// zoneYAML puts the volume in us-east-1b and its instance group where the
// simulator launches, us-east-1a.
const zoneYAML = `version: v1
provider: aws
region: us-east-1
resources:
  - {name: db, type: ec2, count: 1, size: t3.micro}
  - {type: ebs_volume, name: data, availability_zone: us-east-1b, size_gib: 10, volume_type: gp3, attach_to: db}
`

// TestAttachAcrossZonesIsARecordedRefusal: through the real SDK against
// the simulator, an ebs_volume whose zone differs from every member of its
// attach_to group is refused with the reason in the WAL, once, and no
// AttachVolume is ever sent (EC2 would answer InvalidVolume.ZoneMismatch
// on every cycle); nothing fails.
func TestAttachAcrossZonesIsARecordedRefusal(t *testing.T) {
	isolateAWS(t)
	sim, url := startSim(t)
	eng, _ := simEngine(t, url)
	cfg, err := reconcile.ParseConfig("infrastructure.yaml", []byte(zoneYAML))
	if err != nil {
		t.Fatal(err)
	}
	var refusals []reconcile.PlannedAction // recorded in the WAL
	for range 4 {
		rep, err := eng.Run(context.Background(), reconcile.Request{Config: &cfg})
		if err != nil || rep.Failures != 0 {
			t.Fatalf("cycle: %v, %d failures: %+v", err, rep.Failures, rep.Decisions)
		}
		for _, d := range rep.Decisions {
			if d.Action.Kind == wal.ResourceVolume && d.Action.Action == wal.ActionRefuse && d.Recorded {
				refusals = append(refusals, d.Action)
			}
		}
	}
	if len(refusals) != 1 {
		t.Fatalf("%d refusals recorded over 4 cycles, want 1: %+v", len(refusals), refusals)
	}
	reason := refusals[0].Reason
	for _, want := range []string{"attach_to db has no instance in us-east-1b", "in us-east-1a", "InvalidVolume.ZoneMismatch"} {
		if !strings.Contains(reason, want) {
			t.Errorf("refusal %q does not say %q", reason, want)
		}
	}
	if n := sim.Counts()["AttachVolume"]; n != 0 {
		t.Fatalf("%d AttachVolume calls, want none", n)
	}
}
