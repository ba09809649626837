package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

const idleCycleID = "ovi-test-20261125T103200Z-0000cafe"

// idleBudget is what an idle cycle of whyLog's fleet calls: the three
// describes, planned and made.
func idleBudget() *wal.APIBudget {
	return &wal.APIBudget{Counted: true, Calls: []wal.APICalls{
		{Operation: "DescribeInstances", Bucket: "describe", Planned: 1, Actual: 1},
		{Operation: "DescribeSecurityGroups", Bucket: "describe", Planned: 1, Actual: 1},
		{Operation: "DescribeVolumes", Bucket: "describe", Planned: 1, Actual: 1},
	}}
}

// startIdleWhyAgent is startWhyAgent with a later idle cycle: its summary
// only (observations are recorded on change, nothing was decided).
func startIdleWhyAgent(t *testing.T) *testAgent {
	t.Helper()
	ta, _ := startWhyAgent(t, nil)
	idle := wal.Record{Kind: wal.KindCycleSummary, Time: at(2*time.Minute + 120*time.Millisecond), Node: "ovi-test", Term: 2,
		CycleID: idleCycleID, Summary: &wal.CycleSummary{Observed: 5, InSync: 4, Unmanaged: 1, DurationMS: 120, Budget: idleBudget()}}
	ta.propose([]wal.Record{idle})
	return ta
}

// TestGoldenWhyIdleCycle: ovi why CYCLE on a cycle that decided nothing
// shows what it did — its summary and its API budget, planned against
// made — instead of an error.
func TestGoldenWhyIdleCycle(t *testing.T) {
	ta := startIdleWhyAgent(t)
	code, out, errOut := ta.run("why", idleCycleID)
	if code != 0 || !strings.Contains(out, "Cycle "+idleCycleID+": no decisions") ||
		!strings.Contains(out, "API calls: 3 made, 3 planned") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	assertGolden(t, "why_idle_cycle_table", []byte(out))

	code, out, errOut = ta.run("-o", "json", "why", idleCycleID)
	var doc struct {
		CycleID   string         `json:"cycle_id"`
		Decisions []whyView      `json:"decisions"`
		Summary   *walEntry      `json:"summary"`
		Budget    *wal.APIBudget `json:"budget"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.CycleID != idleCycleID || doc.Decisions == nil ||
		len(doc.Decisions) != 0 || doc.Summary == nil || doc.Summary.Record.Summary.Observed != 5 || doc.Budget.ActualCalls() != 3 {
		t.Fatalf("exit %d, stderr %q, JSON:\n%s", code, errOut, out)
	}
}

// TestWhyCycleNotRecorded: a cycle id the WAL holds nothing of (never
// run, or compacted) is a one-line error, as is one that has not finished.
func TestWhyCycleNotRecorded(t *testing.T) {
	ta := startIdleWhyAgent(t)
	code, _, errOut := ta.run("why", "ovi-test-20261125T103500Z-0000dead")
	if code == 0 || !strings.HasPrefix(errOut, "ovi: why ovi-test-20261125T103500Z-0000dead: no records of this cycle\n") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	ta.propose([]wal.Record{{Kind: wal.KindObserved, ResourceID: "i-0ee", Time: at(4 * time.Minute), Node: "ovi-test", Term: 2,
		CycleID: "ovi-test-20261125T103400Z-0000f00d", Observed: &wal.Observed{Change: wal.ChangeGone, Resource: wal.Resource{ID: "i-0ee", Kind: wal.ResourceInstance, Instance: &wal.Instance{Size: "t3.micro"}}}}})
	code, _, errOut = ta.run("why", "ovi-test-20261125T103400Z-0000f00d")
	if code == 0 || !strings.HasPrefix(errOut, "ovi: why ovi-test-20261125T103400Z-0000f00d: no recorded decision in this cycle, and no summary: it has not finished\n") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
