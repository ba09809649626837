package benchpeers

import (
	"context"
	"strings"
	"testing"
	"time"
)

// inLeader is a fake system whose load runs inside its leader (raw Raft).
type inLeader struct{ *fakeSystem }

func (inLeader) LoadInLeader() bool { return true }

// The meter reads each server's /proc/PID/stat around the phase, gives
// the leader's apart and the followers busiest first, and the machine's
// idle share; a fake /proc stands for the kernel's.
func TestMeasureAppendAttributesCPUByRole(t *testing.T) {
	var started []string
	f := &fakeSystem{name: "f", started: &started}
	ctx := context.Background()
	if err := f.Start(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	root := t.TempDir()
	pid := func(i int) int { return f.procs[i].Pid() }
	writeFakeProc(t, root, map[int]uint64{pid(0): 100, pid(1): 100, pid(2): 100}, 1000, 500)
	f.onAppend = func() { // 300, 200 and 500 ms; 200 ticks of the machine, 20 idle
		writeFakeProc(t, root, map[int]uint64{pid(0): 130, pid(1): 120, pid(2): 150}, 1200, 520)
	}
	run := &Run{ProcFS: ProcFS{Root: root}}
	_, cpu, err := run.measureAppend(ctx, f, 64, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c := cpu.PerRecord()
	if cpu.Records != 1000 || c.Leader != 300 || len(c.Followers) != 2 || c.Followers[0] != 500 || c.Followers[1] != 200 ||
		c.Idle != 10 || c.ClientInLeader {
		t.Fatalf("phase CPU %+v, per record %+v", cpu, c)
	}
	if cpu.Client < 0 || cpu.Client > 5*time.Second {
		t.Fatalf("client CPU %v: this process's own use in the phase", cpu.Client)
	}
	writeFakeProc(t, root, map[int]uint64{pid(0): 100, pid(1): 100, pid(2): 100}, 1000, 500)
	_, cpu, err = run.measureAppend(ctx, inLeader{f}, 64, 1000)
	if err != nil || !cpu.ClientInLeader || cpu.Client != 0 || !strings.Contains(FormatCPU(cpu.PerRecord()), "in leader") {
		t.Fatalf("load in the leader: %+v, %v", cpu, err)
	}
}

func TestMeasureAppendFailsWithoutProcFiles(t *testing.T) {
	var started []string
	f := &fakeSystem{name: "g", started: &started}
	if err := f.Start(context.Background(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	run := &Run{ProcFS: ProcFS{Root: t.TempDir()}}
	if _, _, err := run.measureAppend(context.Background(), f, 1, 10); err == nil || !strings.Contains(err.Error(), "cpu of pid") {
		t.Fatalf("measureAppend without /proc files: %v", err)
	}
}

func TestMeasureIdleSamplesTheMachine(t *testing.T) {
	idle, err := MeasureIdle(context.Background(), ProcFS{}, 50*time.Millisecond)
	if err != nil || idle < 0 || idle > 100 {
		t.Fatalf("MeasureIdle = %v, %v", idle, err)
	}
	if idle, err := MeasureIdle(context.Background(), ProcFS{}, 0); idle != 0 || err != nil {
		t.Fatalf("a zero window: %v, %v", idle, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureIdle(ctx, ProcFS{}, time.Minute); err == nil {
		t.Fatal("a cancelled context did not end the sample")
	}
}
