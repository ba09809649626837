package main

import (
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// launchFixture is one create of two instances (decided and executing
// before they had ids), a decision about another resource in between,
// and the first observation of one of them.
func launchFixture() []wal.Record {
	mk := func(kind wal.Kind, id, decisionID string, d time.Duration) wal.Record {
		return wal.Record{Kind: kind, ResourceID: id, Time: at(d), Node: "ovi-1", Term: 3, DecisionID: decisionID, CycleID: "c-0001"}
	}
	create := mk(wal.KindDecided, "", "d-0001-01", 0)
	create.Decided = &wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing, Reason: "Create: 2 instances missing from group web",
		Group: "web", Count: 2, Size: "t3.micro"}
	other := mk(wal.KindDecided, "i-0zzz000000000009", "d-0001-02", 0)
	other.Decided = &wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionReport, Drift: wal.DriftUnmanaged, Reason: "Report: not managed by Ovi"}
	executing := mk(wal.KindExecuting, "", "d-0001-01", time.Second)
	executing.Executing = &wal.Executing{Action: wal.ActionCreate, Description: "Starting launch of 2 instances", Attempt: 1}
	executed := mk(wal.KindExecuted, "", "d-0001-01", 2*time.Second)
	executed.Executed = &wal.Executed{Action: wal.ActionCreate, Message: "Launched 2 instances",
		ResourceIDs: []string{"i-0aaa000000000001", "i-0bbb000000000002"}}
	seen := observed(at(3*time.Second), wal.ChangeNew, resource("i-0aaa000000000001", "web", "t3.micro", "pending", nil))
	return []wal.Record{create, other, executing, executed, seen}
}

func TestResourceReplayShowsTheLaunchThatCreatedIt(t *testing.T) {
	ta := startTestAgent(t, nil)
	for _, rec := range launchFixture() {
		ta.propose([]wal.Record{rec})
	}
	code, stdout, stderr := ta.run("wal", "replay", "--resource-id", "i-0aaa000000000001")
	got := withoutRevisions(t, stdout)
	clock := func(d time.Duration) string { return at(d).In(time.Local).Format("15:04:05") }
	want := clock(0) + " [decided]   Create: 2 instances missing from group web\n" +
		clock(time.Second) + " [executing] Starting launch of 2 instances\n" +
		clock(2*time.Second) + " [executed]  Launched 2 instances\n" +
		clock(3*time.Second) + " [observed]  Resource i-0aaa000000000001 found in cloud\n"
	if code != exitOK || got != want {
		t.Fatalf("replay of a created instance: %d %q\n%s\nwant\n%s", code, stderr, got, want)
	}
	_, stdout, _ = ta.run("wal", "replay", "--resource-id", "i-0bbb000000000002", "--type", "decided,executing")
	if n := strings.Count(stdout, "\n"); n != 2 || !strings.Contains(stdout, "[decided]") || !strings.Contains(stdout, "[executing]") {
		t.Fatalf("--type after attribution:\n%s", stdout)
	}
	_, stdout, _ = ta.run("wal", "replay", "--resource-id", "i-0aaa000000000001", "--tail", "1")
	if !strings.Contains(stdout, "[observed]") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("--tail 1 after attribution:\n%s", stdout)
	}
	code, stdout, _ = ta.run("wal", "analyze", "--resource-id", "i-0aaa000000000001")
	if code != exitOK || !strings.Contains(stdout, "1 observation, 1 decision, 1 execution, 0 failures") {
		t.Fatalf("analyze counts the decision that created it:\n%s", stdout)
	}
}
