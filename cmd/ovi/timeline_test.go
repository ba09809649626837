package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// timelineFixture is the life of i-0bbb000000000002: launched by
// d-0001-01, stopped and started by someone else, resized by d-0003-01,
// deleted by d-0004-01 after one throttled attempt.
func timelineFixture() []walEntry {
	const id = "i-0bbb000000000002"
	small := resource(id, "web", "t3.micro", "pending", map[string]string{wal.TagDecision: "d-0001-01", "team": "web"})
	obs := func(rev uint64, d time.Duration, change wal.ObservedChange, state string, edit func(*wal.Resource)) walEntry {
		r := small
		r.Tags = map[string]string{}
		for k, v := range small.Tags {
			r.Tags[k] = v
		}
		r.State = state
		if edit != nil {
			edit(&r)
		}
		return entry(rev, 0, observed(at(d), change, r))
	}
	retag := func(r *wal.Resource) { r.Tags["team"] = "platform" }
	bigger := func(r *wal.Resource) {
		retag(r)
		inst := *r.Instance
		inst.Size = "t3.small"
		r.Instance = &inst
	}
	rec := func(rev uint64, d time.Duration, kind wal.Kind, decisionID string) wal.Record {
		return wal.Record{Kind: kind, ResourceID: id, Time: at(d), Node: "ovi-1", Term: 4, DecisionID: decisionID}
	}
	executing := func(rev uint64, d time.Duration, decisionID string, a wal.Action, attempt int) walEntry {
		r := rec(rev, d, wal.KindExecuting, decisionID)
		r.Executing = &wal.Executing{Action: a, Attempt: attempt}
		return entry(rev, 0, r)
	}
	executed := func(rev uint64, d time.Duration, decisionID string, a wal.Action) walEntry {
		r := rec(rev, d, wal.KindExecuted, decisionID)
		r.Executed = &wal.Executed{Action: a, ResourceIDs: []string{id}}
		return entry(rev, 0, r)
	}
	throttled := rec(32, 2*time.Hour+14*time.Minute+2*time.Second, wal.KindFailed, "d-0004-01")
	throttled.Failed = &wal.Failed{Action: wal.ActionDelete, Code: "RequestLimitExceeded", Message: "Request limit exceeded.", Retryable: true}
	return []walEntry{
		obs(10, 0, wal.ChangeNew, "pending", nil),
		obs(12, time.Minute+5*time.Second, wal.ChangeUpdated, "running", nil),
		obs(14, 10*time.Minute, wal.ChangeUpdated, "running", retag),
		obs(15, 20*time.Minute, wal.ChangeUpdated, "stopped", retag),
		obs(16, 25*time.Minute, wal.ChangeUpdated, "running", retag),
		entry(20, 0, decision("d-0003-01", id, at(30*time.Minute), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionResize, Drift: wal.DriftDrifted,
			Reason: "Resize: size t3.micro, want t3.small", Group: "web", Size: "t3.small"})),
		executing(21, 30*time.Minute+time.Second, "d-0003-01", wal.ActionResize, 1),
		obs(22, 30*time.Minute+10*time.Second, wal.ChangeUpdated, "stopping", retag),
		obs(23, 31*time.Minute, wal.ChangeUpdated, "stopped", retag),
		obs(24, 31*time.Minute+30*time.Second, wal.ChangeUpdated, "pending", bigger),
		obs(25, 32*time.Minute, wal.ChangeUpdated, "running", bigger),
		executed(26, 32*time.Minute+5*time.Second, "d-0003-01", wal.ActionResize),
		entry(30, 0, decision("d-0004-01", id, at(2*time.Hour+14*time.Minute), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionDelete,
			Drift: wal.DriftUnwanted, Reason: "Delete: Not in desired configuration", Group: "web"})),
		executing(31, 2*time.Hour+14*time.Minute+time.Second, "d-0004-01", wal.ActionDelete, 1),
		entry(32, 0, throttled),
		executing(33, 2*time.Hour+14*time.Minute+10*time.Second, "d-0004-01", wal.ActionDelete, 2),
		executed(34, 2*time.Hour+14*time.Minute+12*time.Second, "d-0004-01", wal.ActionDelete),
		obs(35, 2*time.Hour+15*time.Minute+5*time.Second, wal.ChangeUpdated, "shutting-down", bigger),
		obs(36, 2*time.Hour+17*time.Minute+5*time.Second, wal.ChangeGone, "terminated", bigger),
	}
}

func TestBuildTimelineAttributesMovesToDecisions(t *testing.T) {
	tl := buildTimeline("i-0bbb000000000002", timelineFixture(), at(3*time.Hour))
	type move struct {
		state, decision string
		action          wal.Action
	}
	var got []move
	for _, s := range tl.States {
		got = append(got, move{s.State, s.DecisionID, s.Action})
	}
	want := []move{
		{"pending", "d-0001-01", wal.ActionCreate}, // from the ovi:decision tag
		{"running", "", 0},
		{"stopped", "", 0}, // stopped by someone else: no decision
		{"running", "", 0},
		{"stopping", "d-0003-01", wal.ActionResize},
		{"stopped", "d-0003-01", wal.ActionResize},
		{"pending", "d-0003-01", wal.ActionResize},
		{"running", "d-0003-01", wal.ActionResize},
		{"shutting-down", "d-0004-01", wal.ActionDelete},
		{"gone", "d-0004-01", wal.ActionDelete},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("moves:\n got %v\nwant %v", got, want)
	}
	if want := (timelineCounts{Observations: 11, Decisions: 2, Executions: 2, Failures: 1}); tl.Counts != want {
		t.Fatalf("counts = %+v, want %+v", tl.Counts, want)
	}
	last := tl.States[len(tl.States)-1]
	if last.Until != nil || last.Current || last.Seconds != 0 {
		t.Fatalf("gone state = %+v, want no duration", last)
	}
	if first := tl.States[0]; first.Seconds != 65 || first.Until == nil || !first.Until.Equal(at(65*time.Second)) {
		t.Fatalf("first state = %+v, want 65 s until the second", first)
	}
}

func TestBuildTimelineCurrentStateRunsUntilNow(t *testing.T) {
	entries := timelineFixture()[:12]
	tl := buildTimeline("i-0bbb000000000002", entries, at(3*time.Hour))
	last := tl.States[len(tl.States)-1]
	if last.State != "running" || !last.Current || last.Seconds != int64((3*time.Hour-32*time.Minute)/time.Second) {
		t.Fatalf("current state = %+v", last)
	}
}

func TestGoldenTimelineTable(t *testing.T) {
	var out bytes.Buffer
	tl := buildTimeline("i-0bbb000000000002", timelineFixture(), at(3*time.Hour))
	if err := renderTimeline(&out, tableOptions(), tl); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "analyze_timeline_table", out.Bytes())
}

func TestGoldenTimelineCurrentTable(t *testing.T) {
	var out bytes.Buffer
	tl := buildTimeline("i-0bbb000000000002", timelineFixture()[:12], at(3*time.Hour))
	if err := renderTimeline(&out, tableOptions(), tl); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "analyze_timeline_current_table", out.Bytes())
	if !strings.Contains(out.String(), "(2h 28m, now)") {
		t.Fatalf("current state lacks its open duration:\n%s", out.String())
	}
}

func TestGoldenTimelineEmpty(t *testing.T) {
	var out bytes.Buffer
	if err := renderTimeline(&out, tableOptions(), buildTimeline("i-nothing", nil, at(0))); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "analyze_timeline_empty_table", out.Bytes())
}

func TestGoldenTimelineJSON(t *testing.T) {
	var out bytes.Buffer
	tl := buildTimeline("i-0bbb000000000002", timelineFixture(), at(3*time.Hour))
	if err := renderTimeline(&out, jsonOptions(), tl); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "analyze_timeline_json", out.Bytes())
	assertRoundTrip(t, "timeline", out.Bytes(), tl)
}

func TestGoldenTimelineSummaryTable(t *testing.T) {
	var out bytes.Buffer
	tl := buildTimeline("i-0bbb000000000002", timelineFixture(), at(3*time.Hour))
	if err := renderTimelineSummary(&out, tableOptions(), tl); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "analyze_summary_table", out.Bytes())
}
