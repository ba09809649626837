package reconcile

import (
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// unguarded is a blessed instance whose termination protection is off
// (never set, or removed outside Ovi).
func unguarded(r wal.Resource) wal.Resource {
	r.Instance.TerminationProtection = false
	return r
}

const protectReason = "Protect: tagged ovi:blessed, but EC2 termination protection (DisableApiTermination) is off"

// TestGuardProtectsBlessedInstances: a managed blessed instance without
// DisableApiTermination is drifted and protected again, in place, kept in
// the file or not; an unblessed one, a protected one and an unmanaged one
// get nothing.
func TestGuardProtectsBlessedInstances(t *testing.T) {
	obs := []wal.Resource{
		unguarded(inst("i-1", "web", "t3.micro", 1, wal.TagBlessed, "true")),
		inst("i-2", "web", "t3.micro", 2, wal.TagBlessed, "true"), // protected
		inst("i-3", "web", "t3.micro", 3),                         // not blessed
		unguarded(inst("i-4", "old", "t3.micro", 4, wal.TagBlessed, "true")),
	}
	legacy := unmanaged("i-5")
	legacy.Tags[wal.TagBlessed] = "true"
	obs = append(obs, legacy)
	p := Decide(testConfig(deleteOn, webGroup(3)), obs, Memory{})
	wantActions(t, p,
		"protect old/i-4: "+protectReason,
		"protect web/i-1: "+protectReason,
		"refuse old/i-4: Protected: tagged ovi:blessed",
		"report /i-5: Report: not managed by Ovi (no ovi:managed tag); never touched")
	if p.Counts.Drifted != 1 || p.Counts.InSync != 2 || p.Counts.Unwanted != 1 {
		t.Fatalf("counts = %+v", p.Counts)
	}
	for _, a := range p.Actions {
		if a.Action == wal.ActionProtect && a.Drift != wal.DriftDrifted {
			t.Fatalf("protect %s has drift %s", a.ResourceID, a.Drift)
		}
	}
}

// TestGuardIsNotDisruptive: protecting needs no stop, so neither
// allow_disruptive nor the blessed tag holds it back, and a drifted size
// on the same instance is still refused on its own.
func TestGuardIsNotDisruptive(t *testing.T) {
	obs := []wal.Resource{unguarded(inst("i-1", "web", "t3.large", 1, wal.TagBlessed, "true"))}
	p := Decide(testConfig(wal.Policy{}, webGroup(1)), obs, Memory{})
	wantActions(t, p,
		"protect web/i-1: "+protectReason,
		"refuse web/i-1: Protected: tagged ovi:blessed (size differs: t3.large → t3.micro; a resize needs a stop)")
}

// TestEngineProtectsBlessedInstance: a cycle sets the guard with one call
// and records the outcome; the next cycle finds nothing to do.
func TestEngineProtectsBlessedInstance(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(unguarded(inst("i-1", "web", "t3.micro", 1, wal.TagBlessed, "true")), inst("i-2", "web", "t3.micro", 2))
	rep := r.run(r.engine(), Request{})
	if n := r.cloud.count("protect"); n != 1 {
		t.Fatalf("%d protect calls, want 1", n)
	}
	var done bool
	for _, d := range rep.Decisions {
		if d.Action.Action == wal.ActionProtect {
			done = d.Status == StatusExecuted && d.Action.ResourceID == "i-1" &&
				d.Message == "Termination protection on (DisableApiTermination)"
		}
	}
	if !done {
		t.Fatalf("no executed protect of i-1: %+v", rep.Decisions)
	}
	again := r.run(r.engine(), Request{})
	for _, d := range again.Decisions {
		if d.Action.Actionable() {
			t.Fatalf("second cycle acts: %s %s", d.Action.Action, d.Action.ResourceID)
		}
	}
}
