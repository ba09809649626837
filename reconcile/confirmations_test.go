package reconcile

import (
	"context"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// cycleState adds the WAL's last recorded cycle to the fake log's State
// (UnwantedHistory), as the agent's store answers it.
type cycleState struct{ *fakeLog }

func (s cycleState) LastCycle(context.Context) (RecordedCycle, error) {
	recs := s.all()
	var out RecordedCycle
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Kind == wal.KindCycleSummary {
			out.ID, out.Summary = recs[i].CycleID, recs[i].Summary
			break
		}
	}
	for _, r := range recs {
		if out.ID != "" && r.Kind == wal.KindDecided && r.CycleID == out.ID {
			out.Decided = append(out.Decided, r)
		}
	}
	return out, nil
}

// decisionOf is the action and reason decided about one resource.
func decisionOf(rep Report, id string) string {
	for _, d := range rep.Decisions {
		if d.Action.ResourceID == id {
			return d.Action.Action.String() + ": " + d.Action.Reason
		}
	}
	return "(none)"
}

// TestNextRunDeletesWhatThePreviousRunHeld: each standalone `ovi
// reconcile` (and a new leader) is a new engine with an empty memory; the
// confirmation count is rebuilt from the last recorded cycle, so the
// second run deletes what the first held, and the blessed one is refused
// both times. Every decision replays identical.
func TestNextRunDeletesWhatThePreviousRunHeld(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(inst("i-old", "gone", "t3.micro", 1), inst("i-keep", "gone", "t3.micro", 2, wal.TagBlessed, "true"))
	withHistory := func(o *Options) { o.State = cycleState{r.log} }
	first := r.run(r.engine(withHistory), Request{})
	if got := decisionOf(first, "i-old"); got != "hold: Held: re-checking before delete (first seen unwanted)" {
		t.Fatalf("first run: i-old %s", got)
	}
	dry := r.run(r.engine(withHistory), Request{DryRun: true, Config: &r.cfg})
	if got := decisionOf(dry, "i-old"); got != "delete: Delete: Not in desired configuration" {
		t.Fatalf("dry run after the hold: i-old %s", got)
	}
	second := r.run(r.engine(withHistory), Request{})
	if got := decisionOf(second, "i-old"); got != "delete: Delete: Not in desired configuration" {
		t.Fatalf("second run: i-old %s, want deleted", got)
	}
	for i, rep := range []Report{first, second} {
		if got := decisionOf(rep, "i-keep"); got != "refuse: Protected: tagged ovi:blessed" {
			t.Errorf("run %d: i-keep %s", i+1, got)
		}
	}
	if r.cloud.count("delete") != 1 {
		t.Fatalf("deletes = %d, want 1", r.cloud.count("delete"))
	}
	replayAll(t, r.log.all())
}

// TestOnlyTheLastCycleCounts: a resource seen unwanted, then wanted again
// in a later cycle, starts over when it is unwanted once more; a dry run
// records nothing and so confirms nothing.
func TestOnlyTheLastCycleCounts(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(inst("i-old", "gone", "t3.micro", 1))
	withHistory := func(o *Options) { o.State = cycleState{r.log} }
	r.run(r.engine(withHistory), Request{}) // held, first seen
	kept := r.cfg
	r.cfg = parseRig(t, webYAML+"  - {name: gone, type: ec2, count: 1, size: t3.micro, tags: {team: a}}\n")
	r.run(r.engine(withHistory), Request{}) // wanted again
	r.cfg = kept
	r.run(r.engine(withHistory), Request{DryRun: true, Config: &r.cfg})
	rep := r.run(r.engine(withHistory), Request{})
	if got := decisionOf(rep, "i-old"); got != "hold: Held: re-checking before delete (first seen unwanted)" {
		t.Fatalf("i-old %s, want a fresh first sighting", got)
	}
}

// TestOwnMemoryIsKept: the engine that recorded the last cycle keeps its
// own memory (it also holds what the log left out as unchanged).
func TestOwnMemoryIsKept(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(inst("i-old", "gone", "t3.micro", 1))
	e := r.engine(func(o *Options) { o.State = cycleState{r.log} })
	r.run(e, Request{})
	if rep := r.run(e, Request{}); decisionOf(rep, "i-old") != "delete: Delete: Not in desired configuration" {
		t.Fatalf("i-old %s", decisionOf(rep, "i-old"))
	}
}

func parseRig(t *testing.T, yaml string) wal.ConfigApplied {
	t.Helper()
	cfg, err := ParseConfig("infrastructure.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRegainedLeaderRebuildsItsCounts: leader A held i-old, leader B then
// decided a cycle in which i-old was wanted again; when A leads once more
// its own memory is stale and is rebuilt from B's cycle: a fresh first
// sighting, not a delete.
func TestRegainedLeaderRebuildsItsCounts(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(inst("i-old", "gone", "t3.micro", 1))
	withHistory := func(o *Options) { o.State = cycleState{r.log} }
	a := r.engine(withHistory)
	r.run(a, Request{}) // A: held, first seen
	kept := r.cfg
	r.cfg = parseRig(t, webYAML+"  - {name: gone, type: ec2, count: 1, size: t3.micro, tags: {team: a}}\n")
	r.run(r.engine(withHistory), Request{}) // B: wanted again
	r.cfg = kept
	if got := decisionOf(r.run(a, Request{}), "i-old"); got != "hold: Held: re-checking before delete (first seen unwanted)" {
		t.Fatalf("A again: i-old %s, want a fresh first sighting", got)
	}
	replayAll(t, r.log.all())
}
