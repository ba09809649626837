package reconcile

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// replayCycle is what a log holds for one cycle: the state its Decide
// read (the configuration and resources as of its first decision) and
// its decisions and summary.
type replayCycle struct {
	config    wal.Config
	observed  []wal.Resource
	decisions []wal.Record
	summary   *wal.CycleSummary
}

// cyclesOf walks a log the way the store's time travel does: resources/
// follows observed records (gone deletes), config follows config records;
// each cycle's inputs are the state just before its first decision.
func cyclesOf(recs []wal.Record) ([]string, map[string]*replayCycle) {
	resources := map[string]wal.Resource{}
	var config wal.Config
	var order []string
	cycles := map[string]*replayCycle{}
	for _, r := range recs {
		switch r.Kind {
		case wal.KindObserved:
			if r.Observed.Change == wal.ChangeGone {
				delete(resources, r.ResourceID)
			} else {
				resources[r.ResourceID] = r.Observed.Resource
			}
		case wal.KindConfigApplied:
			config = r.Config.Config
		case wal.KindDecided:
			c, ok := cycles[r.CycleID]
			if !ok {
				c = &replayCycle{config: config, observed: slices.Collect(maps.Values(resources))}
				cycles[r.CycleID] = c
				order = append(order, r.CycleID)
			}
			c.decisions = append(c.decisions, r)
		case wal.KindCycleSummary:
			if c, ok := cycles[r.CycleID]; ok {
				c.summary = r.Summary
			}
		}
	}
	return order, cycles
}

// replayAll replays every decision of the log and fails on any that
// differs; it returns the recorded reasons, in order.
func replayAll(t *testing.T, recs []wal.Record) []string {
	t.Helper()
	order, cycles := cyclesOf(recs)
	var reasons []string
	for _, id := range order {
		c := cycles[id]
		if c.summary == nil || c.summary.Inputs == nil {
			t.Fatalf("cycle %s: no summary with Decide inputs", id)
		}
		plan := Replay(DefaultKinds(), c.config, c.observed, c.summary.Inputs)
		for _, d := range c.decisions {
			v := ReplayDecision(plan, d.DecisionID, d.Decided)
			if !v.Identical {
				t.Errorf("decision %s (%s) replays differently: %+v", d.DecisionID, d.Decided.Reason, v.Diffs)
			}
			var r *wal.Resource
			for i := range c.observed {
				if c.observed[i].ID == d.ResourceID {
					r = &c.observed[i]
				}
			}
			if x := Explain(DefaultKinds(), c.config, c.observed, r, d.Decided, c.summary.Inputs); strings.HasPrefix(x.Rule, "the ") {
				t.Errorf("decision %s (%s): no rule in words, %q", d.DecisionID, d.Decided.Reason, x.Rule)
			}
			reasons = append(reasons, d.Decided.Action.String()+": "+d.Decided.Reason)
		}
	}
	return reasons
}

const replayYAML = `version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 1}
resources:
  - {name: web, type: ec2, count: %d, size: t3.micro, tags: {team: a}}
`

// TestReplayEveryDecisionOfARun: create, drift repair, a refused resize, a
// refused delete of a blessed instance, a held delete (re-check), capped
// deletions — every decision of every cycle replays identical from the
// log (the state before the cycle's decisions plus the summary's inputs).
func TestReplayEveryDecisionOfARun(t *testing.T) {
	r := newRig(t, strings.Replace(replayYAML, "%d", "4", 1))
	r.cloud.add(unmanaged("i-legacy"))
	e := r.engine()
	r.run(e, Request{Progress: func(wal.Record) {}}) // create 4, report the unmanaged one
	ids := slices.Sorted(maps.Keys(r.cloud.byID()))
	r.cloud.retag(ids[1], "team", "b")            // drift → update tags
	r.cloud.retag(ids[2], wal.TagBlessed, "true") // blessed: never deleted
	r.cloud.resize(ids[3], "t3.large")            // size drift → refused (allow_disruptive false)
	r.run(e, Request{Progress: func(wal.Record) {}})
	cfg, err := ParseConfig("infrastructure.yaml", []byte(strings.Replace(replayYAML, "%d", "0", 1)))
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = cfg
	for range 4 { // first sighting held, then deletions capped at 1 per run
		r.run(e, Request{Progress: func(wal.Record) {}})
	}
	r.run(e, Request{DryRun: true, Config: &r.cfg})
	reasons := strings.Join(replayAll(t, r.log.all()), "\n")
	for _, want := range []string{
		"create: Create: 4 instances missing from group web",
		"update-tags: Update: tags differ (team: b → a)",
		"refuse: Refused: size differs (t3.large → t3.micro), but policy allow_disruptive is false",
		"refuse: Protected: tagged ovi:blessed",
		"hold: Held: re-checking before delete (first seen unwanted)",
		"hold: Held: deletion cap of 1 per run reached",
		"delete: Delete: Surplus in group web (4 live, 0 desired)",
		"report: Report: not managed by Ovi",
	} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no decision %q in the run:\n%s", want, reasons)
		}
	}
}

// TestReplayNoticesADifferentDecision: a replay on changed inputs says
// which fields differ.
func TestReplayNoticesADifferentDecision(t *testing.T) {
	desired := testConfig(deleteOn, webGroup(1))
	observed := []wal.Resource{inst("i-1", "web", "t3.micro", 1), inst("i-2", "web", "t3.micro", 2)}
	in := RecordedInputs("v1", "d", 2, confirmed("i-2"))
	plan := Replay(DefaultKinds(), desired, observed, in)
	recorded := plan.Actions[0].Decided(false)
	if v := ReplayDecision(plan, "c-1", recorded); !v.Identical {
		t.Fatalf("same inputs: %+v", v)
	}
	in.Unwanted = nil // a memory that had not seen i-2 yet holds it instead
	v := ReplayDecision(Replay(DefaultKinds(), desired, observed, in), "c-1", recorded)
	if v.Identical || v.Diffs[0].Field != "action" || v.Diffs[0].Recorded != "delete" || v.Diffs[0].Replayed != "hold" {
		t.Fatalf("verdict = %+v", v)
	}
	if v := ReplayDecision(plan, "c-9", recorded); v.Identical || v.Replayed != nil {
		t.Fatalf("missing decision: %+v", v)
	}
}

// TestRecordedInputsRoundTrip: MemoryOf(RecordedInputs(m)) is m.
func TestRecordedInputsRoundTrip(t *testing.T) {
	m := Memory{Unwanted: map[string]int{"i-2": 1, "i-1": 3}, Launched: map[string]Launch{"i-9": {Kind: wal.ResourceInstance, Group: "web", Cycles: 1}},
		Failed: map[string]string{"create/web": "InvalidAMIID.NotFound"}}
	in := RecordedInputs("v1", "d", 0, m)
	if in.Confirmations != DefaultConfirmations || in.Unwanted[0].ResourceID != "i-1" {
		t.Fatalf("inputs = %+v", in)
	}
	got := MemoryOf(in)
	if !maps.Equal(got.Unwanted, m.Unwanted) || !maps.Equal(got.Launched, m.Launched) || !maps.Equal(got.Failed, m.Failed) {
		t.Fatalf("memory = %+v, want %+v", got, m)
	}
}

// byID is the fake cloud's instances by id.
func (p *fakeProvider) byID() map[string]wal.Resource {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.instances)
}

// retag sets tag k=v on instance id (drift made by hand).
func (p *fakeProvider) retag(id, k, v string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := cloneResource(p.instances[id])
	r.Tags[k] = v
	p.instances[id] = r
}

// resize changes instance id's size behind Ovi's back.
func (p *fakeProvider) resize(id, size string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := cloneResource(p.instances[id])
	r.Instance.Size = size
	p.instances[id] = r
}

// TestExplainReadsTheMemoryOfTheDecision: the sightings, launch credit
// and live members Explain reports are the ones Decide used.
func TestExplainReadsTheMemoryOfTheDecision(t *testing.T) {
	desired := testConfig(deleteOn, webGroup(3))
	observed := []wal.Resource{inst("i-1", "web", "t3.micro", 1), inst("i-2", "web", "t3.micro", 2)}
	m := Memory{Unwanted: map[string]int{"i-2": 1}, Launched: map[string]Launch{"i-2": {Group: "web"}, "i-9": {Group: "web"}}}
	in := RecordedInputs("v1", "d", 2, m)
	plan := Replay(DefaultKinds(), desired, observed, in)
	hold := plan.Actions[len(plan.Actions)-1]
	if hold.Action != wal.ActionHold || hold.Count != 1 {
		t.Fatalf("plan = %v", brief(plan))
	}
	x := Explain(DefaultKinds(), desired, observed, nil, hold.Decided(false), in)
	if x.Live != 2 || x.LaunchCredit != 1 || x.Unit == nil || x.Unit.Count != 3 || !strings.Contains(x.Rule, "not yet visible") {
		t.Fatalf("explanation = %+v", x)
	}
	del := Explain(DefaultKinds(), testConfig(deleteOn, webGroup(1)), observed, &observed[1],
		&wal.Decided{Action: wal.ActionDelete, Drift: wal.DriftUnwanted, ResourceKind: wal.ResourceInstance, Group: "web", Reason: "Delete: x"}, in)
	if del.Seen != 1 || !strings.Contains(del.Rule, "seen unwanted 2 times (confirmations 2)") {
		t.Fatalf("explanation = %+v", del)
	}
}
