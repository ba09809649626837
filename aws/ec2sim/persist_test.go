package ec2sim_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestStateFileSurvivesRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloud.json")
	clock := ec2sim.NewManualClock(epoch)
	opts := quietOptions()
	opts.Clock, opts.StateFile = clock, file

	first := newHarness(t, opts)
	ids := first.run(t, 3, "decision-1", tag("app", "web"))
	clock.Advance(10 * time.Second)
	first.terminate(t, ids[0])
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("state file not written: %v", err)
	}
	before := first.sim.Instances()

	second := newHarness(t, opts) // a restart: same file, fresh server
	if after := second.sim.Instances(); !equalInstances(before, after) {
		t.Fatalf("after restart\n%+v\nwant\n%+v", after, before)
	}
	if got := second.stateOf(t, ids[0]); got != types.InstanceStateNameShuttingDown {
		t.Fatalf("state %s, want shutting-down", got)
	}
	if again := second.run(t, 3, "decision-1", tag("app", "web")); !slices.Equal(again, ids) {
		t.Fatalf("ClientToken replay after restart returned %v, want %v", again, ids)
	}
	fresh := second.run(t, 1, "")
	if slices.Contains(ids, fresh[0]) || len(second.sim.Instances()) != 4 {
		t.Fatalf("a new launch after restart reused an id or lost one: %v", fresh)
	}
	entries, err := os.ReadDir(filepath.Dir(file))
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory holds %d entries (want only the state file): %v", len(entries), err)
	}
}

func equalInstances(a, b []ec2sim.Instance) bool {
	return slices.EqualFunc(a, b, func(x, y ec2sim.Instance) bool {
		return x.ID == y.ID && x.State == y.State && x.InstanceType == y.InstanceType &&
			x.StateChangedAt.Equal(y.StateChangedAt) && x.LaunchTime.Equal(y.LaunchTime) &&
			slices.Equal(x.Tags, y.Tags) && x.ReservationID == y.ReservationID
	})
}

func TestCorruptStateFileIsRefusedNotOverwritten(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := quietOptions()
	opts.StateFile = file
	if _, err := ec2sim.Open(opts); !errors.Is(err, ec2sim.ErrStateFile) {
		t.Fatalf("Open: %v, want ErrStateFile", err)
	}
	h := newHarness(t, opts)
	_, err := h.client.RunInstances(context.Background(), runInput(1, ""))
	wantCode(t, err, "InternalError")
	_, err = h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	wantCode(t, err, "InternalError")
	if data, _ := os.ReadFile(file); string(data) != "{not json" {
		t.Fatalf("corrupt state file was overwritten: %q", data)
	}
}

func TestMissingStateFileStartsEmpty(t *testing.T) {
	opts := quietOptions()
	opts.StateFile = filepath.Join(t.TempDir(), "new.json")
	sim, err := ec2sim.Open(opts)
	if err != nil || len(sim.Instances()) != 0 {
		t.Fatalf("Open on a missing file: %v", err)
	}
}
