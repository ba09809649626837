package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

const whyCycleID = "ovi-test-20261125T103000Z-0000abcd"

// whyLog is one real cycle, made by reconcile.Decide itself: group web
// (count 1) with three members — one blessed with a drifted tag (kept:
// tags updated), the oldest unwanted for the first time (held), the
// newest unwanted once before (deleted) —, a blessed member of a group
// no longer in the file (refused) and an unmanaged instance.
func whyLog(t *testing.T) (cfg wal.ConfigApplied, observed []wal.Resource, decided []wal.Record, in *wal.DecideInputs) {
	t.Helper()
	cfg = wal.ConfigApplied{Source: "infrastructure.yaml", Digest: "ab12cd34ef56ab12cd34", Config: wal.Config{
		Version: "v1", Provider: "aws", Region: "us-east-1", Policy: wal.Policy{DeleteUnwanted: true, MaxDeletions: 5},
		Groups: []wal.Group{{Name: "web", Type: "ec2", Count: 1, Size: "t3.micro", Tags: map[string]string{"team": "a"}}},
	}}
	member := func(id string, launch int64, extra ...string) wal.Resource {
		tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: "web", "team": "a"}
		if id == "i-0d4" {
			tags[wal.TagGroup] = "old"
		}
		for i := 0; i+1 < len(extra); i += 2 {
			tags[extra[i]] = extra[i+1]
		}
		return wal.Resource{ID: id, Kind: wal.ResourceInstance, State: "running", Managed: true, Group: tags[wal.TagGroup], Tags: tags,
			// Blessed members carry the termination protection Ovi keeps on them.
			Instance: &wal.Instance{Size: "t3.micro", LaunchTime: launch, TerminationProtection: tags[wal.TagBlessed] == "true"}}
	}
	observed = []wal.Resource{
		member("i-0a1", 1), member("i-0b2", 2, wal.TagBlessed, "true", "team", "b"), member("i-0c3", 3), member("i-0d4", 4, wal.TagBlessed, "true"),
		{ID: "i-0ff", Kind: wal.ResourceInstance, State: "running", Tags: map[string]string{"Name": "legacy"}, Instance: &wal.Instance{Size: "m5.large"}},
	}
	in = reconcile.RecordedInputs("0.0.9", cfg.Digest, 2, reconcile.Memory{Unwanted: map[string]int{"i-0c3": 1}})
	plan := reconcile.Replay(reconcile.DefaultKinds(), cfg.Config, observed, in)
	for i, a := range plan.Actions {
		id := whyCycleID + "-" + strconv.Itoa(i+1)
		decided = append(decided, wal.Record{Kind: wal.KindDecided, ResourceID: a.ResourceID, Time: at(time.Second), Node: "ovi-test", Term: 2,
			DecisionID: id, CycleID: whyCycleID, Decided: a.Decided(false)})
	}
	return cfg, observed, decided, in
}

// startWhyAgent commits whyLog to a test agent, with the delete's
// outcome, the summary and a later cycle's decision about i-0b2; it
// returns the delete's decision id.
func startWhyAgent(t *testing.T, tamper func([]wal.Record)) (*testAgent, []wal.Record) {
	t.Helper()
	cfg, observed, decided, in := whyLog(t)
	del := findAction(t, decided, wal.ActionDelete)
	if tamper != nil {
		tamper(decided)
	}
	ta := startTestAgent(t, nil)
	rec := func(kind wal.Kind, id string, d time.Duration, set func(*wal.Record)) wal.Record {
		r := wal.Record{Kind: kind, ResourceID: id, Time: at(d), Node: "ovi-test", Term: 2, CycleID: whyCycleID}
		set(&r)
		return r
	}
	var obs []wal.Record
	for _, r := range observed {
		obs = append(obs, rec(wal.KindObserved, r.ID, 0, func(x *wal.Record) { x.Observed = &wal.Observed{Change: wal.ChangeNew, Resource: r} }))
	}
	exing := rec(wal.KindExecuting, del.ResourceID, 2*time.Second, func(x *wal.Record) {
		x.DecisionID, x.Executing = del.DecisionID, &wal.Executing{Action: wal.ActionDelete, Description: "Starting deletion", Attempt: 1}
	})
	exed := rec(wal.KindExecuted, del.ResourceID, 3*time.Second, func(x *wal.Record) {
		x.DecisionID, x.Executed = del.DecisionID, &wal.Executed{Action: wal.ActionDelete, Message: "Successfully deleted"}
	})
	sum := rec(wal.KindCycleSummary, "", 4*time.Second, func(x *wal.Record) {
		x.Summary = &wal.CycleSummary{Observed: 4, Actions: 1, Inputs: in, Budget: appliedBudget()}
	})
	cfgRec := rec(wal.KindConfigApplied, "", 0, func(x *wal.Record) { x.Config = &cfg })
	later := decided[len(decided)-1]
	for _, d := range decided {
		if d.ResourceID == "i-0d4" {
			later = d
		}
	}
	later.DecisionID, later.CycleID, later.Time = "ovi-test-20261125T103100Z-0000beef-1", "ovi-test-20261125T103100Z-0000beef", at(time.Minute)
	ta.propose([]wal.Record{cfgRec}, obs, decided, []wal.Record{exing}, []wal.Record{exed}, []wal.Record{sum}, []wal.Record{later})
	return ta, decided
}

func findAction(t *testing.T, recs []wal.Record, a wal.Action) wal.Record {
	t.Helper()
	for _, r := range recs {
		if r.Decided.Action == a {
			return r
		}
	}
	t.Fatalf("no %s decision in %d", a, len(recs))
	return wal.Record{}
}

func TestGoldenWhyDelete(t *testing.T) {
	ta, decided := startWhyAgent(t, nil)
	del := findAction(t, decided, wal.ActionDelete)
	code, out, errOut := ta.run("why", del.DecisionID)
	if code != 0 || !strings.Contains(out, "replayed: identical (recorded by 0.0.9, this is "+version+")") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	assertGolden(t, "why_delete_table", []byte(out))
	if _, byID, _ := ta.run("why", "i-0c3"); byID != out {
		t.Errorf("why by resource id differs from why by decision id:\n%s", byID)
	}
}

func TestGoldenWhyRefusalIsFirstClass(t *testing.T) {
	ta, decided := startWhyAgent(t, nil)
	refused := findAction(t, decided, wal.ActionRefuse)
	_, first, _ := ta.run("why", refused.DecisionID)
	if !strings.Contains(first, "Protected: tagged ovi:blessed") || !strings.Contains(first, "replayed: identical") ||
		!strings.Contains(first, "superseded by ovi-test-20261125T103100Z-0000beef-1") {
		t.Fatalf("why of the blessed refusal:\n%s", first)
	}
	assertGolden(t, "why_refused_table", []byte(first))
	rev := strings.Fields(strings.TrimPrefix(first, "Decision "+refused.DecisionID+" (revision "))[0]
	if _, atRev, _ := ta.run("why", "--revision", strings.TrimSuffix(rev, ","), "i-0d4"); atRev != first {
		t.Errorf("why i-0d4 --revision %s is not the first refusal:\n%s", rev, lineDiff(first, atRev))
	}
	if _, latest, _ := ta.run("why", "i-0d4"); !strings.HasPrefix(latest, "Decision ovi-test-20261125T103100Z-0000beef-1 ") {
		t.Errorf("why i-0d4 is not the latest decision:\n%s", latest)
	}
	for _, ref := range []string{"i-0ff", "i-0a1"} { // a report, a held delete
		_, out, _ := ta.run("why", ref)
		if !strings.Contains(out, "replayed: identical") {
			t.Errorf("why %s:\n%s", ref, out)
		}
	}
}

func TestGoldenWhyJSON(t *testing.T) {
	ta, decided := startWhyAgent(t, nil)
	del := findAction(t, decided, wal.ActionDelete)
	code, out, errOut := ta.run("-o", "json", "why", del.DecisionID)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v whyView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Replay.Status != replayIdentical || len(v.Outcomes) != 2 || v.Inputs == nil || v.Inputs.SeenUnwanted != 1 || v.Inputs.Desired.Count != 1 {
		t.Fatalf("view = %+v", v)
	}
	assertGolden(t, "why_delete_json", []byte(out))
}

func TestWhyReplayDiffers(t *testing.T) {
	ta, decided := startWhyAgent(t, func(d []wal.Record) {
		for i := range d {
			if d[i].Decided.Action == wal.ActionDelete { // as if an older Ovi had held it
				d[i].Decided.Action, d[i].Decided.Reason = wal.ActionHold, "Held: re-checking before delete (first seen unwanted)"
			}
		}
	})
	_, out, _ := ta.run("why", findAction(t, decided, wal.ActionHold).DecisionID)
	if !strings.Contains(out, "replayed: differs — recorded by version 0.0.9, this is version "+version) ||
		!strings.Contains(out, `action    recorded "hold", replayed "delete"`) {
		t.Fatalf("why of a decision this version makes differently:\n%s", out)
	}
	assertGolden(t, "why_differs_table", []byte(out))
}

func TestWhyCycleReplaysEveryDecision(t *testing.T) {
	ta, decided := startWhyAgent(t, nil)
	code, out, errOut := ta.run("why", whyCycleID)
	want := "Cycle " + whyCycleID + ": " + strconv.Itoa(len(decided)) + " decisions, " + strconv.Itoa(len(decided)) + " replayed identical\n" +
		"\nAPI calls: 9 made, 7 planned; waited 1.5s on the limiter (planned 0s, EC2's buckets 0s)\n"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	assertGolden(t, "why_cycle_table", []byte(out))
}

// TestWhyCycleJSONHasTheBudget: ovi -o json why CYCLE carries the cycle's
// API budget as recorded in its summary.
func TestWhyCycleJSONHasTheBudget(t *testing.T) {
	ta, _ := startWhyAgent(t, nil)
	code, out, errOut := ta.run("-o", "json", "why", whyCycleID)
	var doc struct {
		Budget *wal.APIBudget `json:"budget"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Budget == nil {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if want := appliedBudget(); doc.Budget.ActualCalls() != want.ActualCalls() || doc.Budget.WaitedMS != 1500 || len(doc.Budget.Calls) != len(want.Calls) {
		t.Errorf("budget %+v, want %+v", doc.Budget, want)
	}
}

func TestWhyUnknownRef(t *testing.T) {
	ta, _ := startWhyAgent(t, nil)
	code, _, errOut := ta.run("why", "i-nothing")
	if code == 0 || !strings.HasPrefix(errOut, "ovi: why i-nothing: no recorded decision\n") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = ta.run("why", "i-0d4", "--at", "10:30")
	if code == 0 || errOut != "ovi: why: want exactly one decision id, cycle id, resource id or name\nhint: flags go before REF: ovi why --at TIME REF\n" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestParseCycleAndDecisionIDs(t *testing.T) {
	if ts, ok := parseCycleID(whyCycleID); !ok || !ts.Equal(fixtureStart) {
		t.Fatalf("parseCycleID = %v %v", ts, ok)
	}
	if c, ok := parseDecisionID(whyCycleID + "-12"); !ok || c != whyCycleID {
		t.Fatalf("parseDecisionID = %q %v", c, ok)
	}
	for _, bad := range []string{"i-0abc", "web", whyCycleID + "-0", "n-20261125T103000Z-xyz", whyCycleID + "-x"} {
		if _, ok := parseDecisionID(bad); ok {
			t.Errorf("%q parsed as a decision id", bad)
		}
	}
}

// TestGoldenAnalyzeCycles: ovi wal analyze --cycles lists every cycle with
// the EC2 calls it made against those it planned and its limiter wait; a
// cycle recorded without a budget (before format 5) shows dashes.
func TestGoldenAnalyzeCycles(t *testing.T) {
	ta, _ := startWhyAgent(t, nil)
	old := wal.Record{Kind: wal.KindCycleSummary, Time: at(2 * time.Minute), Node: "ovi-test", Term: 2,
		CycleID: "ovi-test-20261125T103200Z-0000cafe", Summary: &wal.CycleSummary{Observed: 4}}
	ta.propose([]wal.Record{old})
	code, out, errOut := ta.run("wal", "analyze", "--cycles")
	if code != 0 || !strings.HasSuffix(out, "2 cycles: 9 EC2 calls made, 7 planned\n") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	assertGolden(t, "analyze_cycles_table", []byte(out))
	code, out, _ = ta.run("-o", "json", "wal", "analyze", "--cycles")
	var doc struct {
		Cycles []cycleBudget `json:"cycles"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Cycles) != 2 || doc.Cycles[0].Summary.Budget == nil ||
		doc.Cycles[0].Summary.Budget.WaitedMS != 1500 || doc.Cycles[1].Summary.Budget != nil {
		t.Fatalf("exit %d, JSON:\n%s", code, out)
	}
	if code, _, errOut := ta.run("wal", "analyze", "--cycles", "--resource-id", "i-0c3"); code == 0 || !strings.Contains(errOut, "--cycles takes no resource") {
		t.Errorf("--cycles with a resource: exit %d, %q", code, errOut)
	}
}
