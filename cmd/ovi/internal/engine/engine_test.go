package engine

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

func TestAgentStateListsRecentLaunchesWithTheirGroups(t *testing.T) {
	ta := startTestAgent(t)
	now := time.Now().UTC()
	create := func(id, group string, t time.Duration, ids ...string) []wal.Record {
		return []wal.Record{
			{Kind: wal.KindDecided, DecisionID: id, Time: now.Add(t), Decided: &wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing, Group: group, Count: len(ids)}},
			{Kind: wal.KindExecuted, DecisionID: id, Time: now.Add(t), Executed: &wal.Executed{Action: wal.ActionCreate, ResourceIDs: ids}},
		}
	}
	ta.propose(
		create("old-1", "web", -10*time.Minute, "i-old"),
		create("new-1", "web", -30*time.Second, "i-1", "i-2"),
		create("new-2", "db", -10*time.Second, "i-3"),
		[]wal.Record{{Kind: wal.KindExecuted, DecisionID: "del-1", Time: now, ResourceID: "i-9",
			Executed: &wal.Executed{Action: wal.ActionDelete}}},
		[]wal.Record{{Kind: wal.KindObserved, ResourceID: "i-2", Time: now, Observed: &wal.Observed{
			Change: wal.ChangeNew, Resource: wal.Resource{ID: "i-2", Kind: wal.ResourceInstance,
				Instance: &wal.Instance{Size: "t3.micro"}, State: "pending"}}}},
	)
	var st reconcile.LaunchHistory = agentState{agent: ta.agent}
	got, err := st.Launches(context.Background(), now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].At = got[i].At.UTC()
	}
	want := []reconcile.RecordedLaunch{
		{Group: "web", IDs: []string{"i-1"}, At: now.Add(-30 * time.Second)}, // i-2 observed since
		{Group: "db", IDs: []string{"i-3"}, At: now.Add(-10 * time.Second)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("launches = %+v\nwant %+v", got, want)
	}
}

func TestAgentStateReturnsTheLastRecordedCycle(t *testing.T) {
	ta := startTestAgent(t)
	var st reconcile.UnwantedHistory = agentState{agent: ta.agent}
	if got, err := st.LastCycle(context.Background()); err != nil || got.ID != "" {
		t.Fatalf("empty store: %+v, %v", got, err)
	}
	now := time.Now().UTC()
	hold := func(cycle, id string, at time.Duration) wal.Record {
		return wal.Record{Kind: wal.KindDecided, CycleID: cycle, DecisionID: cycle + "-1", ResourceID: id, Time: now.Add(at),
			Decided: &wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionHold, Drift: wal.DriftUnwanted,
				Reason: "Held: re-checking before delete (first seen unwanted)"}}
	}
	summary := func(cycle string, at time.Duration, in *wal.DecideInputs) wal.Record {
		return wal.Record{Kind: wal.KindCycleSummary, CycleID: cycle, Time: now.Add(at),
			Summary: &wal.CycleSummary{Unwanted: 1, DurationMS: 2000, Inputs: in}}
	}
	in := &wal.DecideInputs{Version: "dev", Confirmations: 3, Unwanted: []wal.UnwantedSighting{{ResourceID: "i-1", Seen: 1}}}
	ta.propose(
		[]wal.Record{hold("c0", "i-1", -10*time.Second), summary("c0", -9*time.Second, nil)},
		[]wal.Record{hold("c1", "i-1", -2*time.Second), summary("c1", 0, in)},
	)
	got, err := st.LastCycle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "c1" || len(got.Decided) != 1 || got.Decided[0].DecisionID != "c1-1" || !reflect.DeepEqual(got.Summary.Inputs, in) {
		t.Fatalf("last cycle = %+v", got)
	}
	if seen := reconcile.UnwantedAfter(got); !reflect.DeepEqual(seen, map[string]int{"i-1": 2}) {
		t.Fatalf("seen = %v", seen)
	}
}
