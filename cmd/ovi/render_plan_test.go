package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

func TestGoldenPlanTable(t *testing.T) {
	decided, summary := planFixture(true)
	var out bytes.Buffer
	counts, err := renderPlan(&out, tableOptions(), decided, summary)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "plan_table", out.Bytes())
	want := planCounts{Create: 2, Update: 2, Delete: 1, Protected: 2, Unmanaged: 3, Held: 1}
	if counts != want {
		t.Fatalf("counts = %+v, want %+v", counts, want)
	}
}

func TestGoldenPlanNoChanges(t *testing.T) {
	decided, _ := planFixture(false)
	unmanagedOnly := decided[len(decided)-3:]
	var out bytes.Buffer
	counts, err := renderPlan(&out, tableOptions(), unmanagedOnly, nil)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "plan_no_changes_table", out.Bytes())
	if counts.Changes() != 0 {
		t.Fatalf("changes = %d, want 0", counts.Changes())
	}
}

func TestGoldenPlanJSON(t *testing.T) {
	decided, summary := planFixture(true)
	var out bytes.Buffer
	if _, err := renderPlan(&out, jsonOptions(), decided, summary); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "plan_json", out.Bytes())

	var doc planDocument
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("plan JSON does not parse: %v", err)
	}
	if !reflect.DeepEqual(doc.Decisions, decided) {
		t.Fatalf("decisions do not round-trip:\n got %+v\nwant %+v", doc.Decisions, decided)
	}
	if !doc.DryRun || doc.Changes != 5 || doc.Cycle == nil || !reflect.DeepEqual(doc.Cycle, summary) {
		t.Fatalf("plan JSON = %+v", doc)
	}
}

func TestPlanEmptyJSONHasEmptyDecisionList(t *testing.T) {
	var out bytes.Buffer
	if _, err := renderPlan(&out, jsonOptions(), nil, nil); err != nil {
		t.Fatalf("render: %v", err)
	}
	if !strings.Contains(out.String(), `"decisions": []`) {
		t.Fatalf("empty plan JSON = %s, want an empty decisions list", out.String())
	}
}

func TestPlanSummaryLine(t *testing.T) {
	tests := []struct {
		counts planCounts
		want   string
	}{
		{planCounts{Create: 2, Update: 1, Protected: 1, Unmanaged: 3},
			"Plan: 2 to create, 1 to update, 0 to delete, 1 protected, 3 unmanaged"},
		{planCounts{Delete: 4, Held: 2}, "Plan: 0 to create, 0 to update, 4 to delete, 0 protected, 0 unmanaged, 2 held"},
		{planCounts{}, "Plan: 0 to create, 0 to update, 0 to delete, 0 protected, 0 unmanaged"},
	}
	for _, tc := range tests {
		if got := tc.counts.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.counts, got, tc.want)
		}
	}
}

func TestCountPlanCountsCreatedInstances(t *testing.T) {
	decided := []wal.Record{
		decision("d-1", "", at(0), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing, Count: 3}),
		decision("d-2", "", at(0), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing}),
		{Kind: wal.KindCycleSummary, Time: at(0), Summary: &wal.CycleSummary{}},
	}
	if got := countPlan(decided); got.Create != 4 || got.Changes() != 4 {
		t.Fatalf("countPlan = %+v, want 4 to create", got)
	}
}

func TestPlanColoursSymbolsOnlyWhenAsked(t *testing.T) {
	decided, summary := planFixture(false)
	o := tableOptions()
	o.style = style{color: true}
	var out bytes.Buffer
	if _, err := renderPlan(&out, o, decided, summary); err != nil {
		t.Fatalf("render: %v", err)
	}
	if !strings.Contains(out.String(), "\x1b[32m+\x1b[0m web") {
		t.Fatalf("coloured plan lacks a green +:\n%s", out.String())
	}
	plain, _ := planFixture(false)
	out.Reset()
	if _, err := renderPlan(&out, tableOptions(), plain, summary); err != nil {
		t.Fatalf("render: %v", err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Fatalf("plain plan has escape codes:\n%s", out.String())
	}
}

// A plan that only holds or refuses changes nothing now, but the cloud
// does not match: it never says "No changes".
func TestGoldenPlanHeldIsNotNoChanges(t *testing.T) {
	decided, _ := planFixture(true)
	heldAndRefused := []wal.Record{decided[4], decided[5]} // refused (blessed), held (deletion cap)
	var out bytes.Buffer
	counts, err := renderPlan(&out, tableOptions(), heldAndRefused, nil)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "plan_held_table", out.Bytes())
	if strings.Contains(out.String(), "No changes") || counts.Changes() != 0 || counts.Outstanding() != 2 {
		t.Fatalf("held plan (changes %d, outstanding %d):\n%s", counts.Changes(), counts.Outstanding(), out.String())
	}
}

func TestPlanShowsSecurityGroupRuleRepairs(t *testing.T) {
	rule := &wal.RuleChange{Rule: wal.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}}
	decided := []wal.Record{{Kind: wal.KindDecided, ResourceID: "sg-1", Decided: &wal.Decided{Action: wal.ActionRevoke,
		Drift: wal.DriftDrifted, ResourceKind: wal.ResourceSecurityGroup, Group: "web", Rule: rule,
		Reason: "Revoke: ingress tcp/22 from 0.0.0.0/0 added outside Ovi"}}}
	if got := countPlan(decided); got.Update != 1 || got.Changes() != 1 {
		t.Fatalf("counts %+v, want one update", got)
	}
	if got := planDetail(decided[0].Decided); got != "revoke ingress tcp/22 from 0.0.0.0/0" {
		t.Fatalf("detail %q", got)
	}
}
