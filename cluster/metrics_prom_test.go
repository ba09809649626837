package cluster

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// gaugeValue reads one unlabelled sample from /metrics text (-1 if absent).
func gaugeValue(text, name string) float64 {
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}

// TestMetricsReportOpenIntentsLeaderChangesAndReadiness: a decision
// committed an hour ago without an outcome shows as one open intent an
// hour old; the election is counted; the node reports itself ready.
func TestMetricsReportOpenIntentsLeaderChangesAndReadiness(t *testing.T) {
	a := startAgent(t, testConfig(t, "prom", 1))
	waitFor(t, "leader", 10*time.Second, a.IsLeader)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dec := wal.Record{Kind: wal.KindDecided, ResourceID: "i-0abc", DecisionID: "c1-1", CycleID: "c1",
		Time:    time.Now().Add(-time.Hour).UTC(),
		Decided: &wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionDelete, Drift: wal.DriftUnwanted, Reason: "Delete: test"}}
	if _, err := a.Propose(ctx, []wal.Record{dec}); err != nil {
		t.Fatal(err)
	}
	text, err := client(t, a).Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := gaugeValue(text, "ovi_reconcile_open_intents"); n != 1 {
		t.Errorf("open intents %v, want 1", n)
	}
	if age := gaugeValue(text, "ovi_reconcile_oldest_open_intent_age_seconds"); age < 3500 || age > 3700 {
		t.Errorf("oldest open intent %vs old, want about an hour", age)
	}
	if n := gaugeValue(text, "ovi_raft_leader_changes_total"); n != 1 {
		t.Errorf("leader changes %v, want 1", n)
	}
	if r := gaugeValue(text, "ovi_ready"); r != 1 {
		t.Errorf("ovi_ready %v, want 1", r)
	}
	if i := gaugeValue(text, "ovi_reconcile_interval_seconds"); i != DefaultInterval.Seconds() {
		t.Errorf("interval %v, want %v", i, DefaultInterval.Seconds())
	}
}
