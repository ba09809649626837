package ec2sim_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestVolumesSurviveRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloud.json")
	clock := ec2sim.NewManualClock(epoch)
	opts := volumeOptions()
	opts.Clock, opts.StateFile = clock, file

	first := newHarness(t, opts)
	in := first.runningInstance(t)
	vol := first.availableVolume(t, 10, tag("Name", "prod-database"))
	first.attach(t, vol, in, "/dev/sdf")
	pending := first.createVolume(t, gp3Input(20, "decision-3"))
	before := first.sim.Volumes()

	second := newHarness(t, opts)
	if after := second.sim.Volumes(); !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart\n%+v\nwant\n%+v", after, before)
	}
	if again := second.createVolume(t, gp3Input(20, "decision-3")); again != pending || len(second.sim.Volumes()) != 2 {
		t.Fatalf("ClientToken replay after restart returned %s (%d volumes), want %s", again, len(second.sim.Volumes()), pending)
	}
	clock.Advance(time.Hour)
	if v := second.volume(t, vol); len(v.Attachments) != 1 {
		t.Fatalf("attachment lost across restart: %+v", v.Attachments)
	}
}

func TestStateFileWithoutVolumesLoads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloud.json")
	// A state file as written before volumes existed.
	if err := os.WriteFile(file, []byte(`{"version":1,"next_id":0,"instances":[],"reservations":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sim, err := ec2sim.Open(ec2sim.Options{StateFile: file})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if n := len(sim.Volumes()); n != 0 {
		t.Fatalf("%d volumes from a file without any", n)
	}
}

// TestVolumesLeaveInstanceIDsAlone: creating volumes does not change the ids
// later instances get (dev mode's seeded volume must not move the ids the
// README shows).
func TestVolumesLeaveInstanceIDsAlone(t *testing.T) {
	plain := newHarness(t, volumeOptions())
	want := plain.run(t, 2, "")
	mixed := newHarness(t, volumeOptions())
	mixed.createVolume(t, gp3Input(1, ""))
	got := mixed.run(t, 2, "")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("instance ids after a volume %v, want %v", got, want)
	}
}
