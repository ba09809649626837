package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// applyFixture splits the cycle fixture into its decisions and the whole
// record stream.
func applyFixture() ([]wal.Record, []wal.Record) {
	var decided, all []wal.Record
	for _, e := range cycleFixture() {
		if e.Record.Decided != nil {
			decided = append(decided, e.Record)
		}
		all = append(all, e.Record)
	}
	return decided, all
}

func TestGoldenApplyProgressTable(t *testing.T) {
	decided, all := applyFixture()
	var out bytes.Buffer
	p := newApplyProgress(&out, tableOptions(), decided)
	for _, rec := range all {
		if err := p.Record(rec); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	counts, err := p.Finish()
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	assertGolden(t, "apply_table", out.Bytes())
	if want := (applyCounts{Created: 2, Deleted: 1, Failed: 1}); counts != want {
		t.Fatalf("counts = %+v, want %+v", counts, want)
	}
	if !strings.Contains(out.String(), "  web (2) creating…\n") || !strings.Contains(out.String(), "✓ deleted i-0ddd000000000004\n") {
		t.Fatalf("progress lacks the create or delete lines:\n%s", out.String())
	}
}

func TestApplyProgressLearnsDecisionsFromTheStream(t *testing.T) {
	_, all := applyFixture()
	var out bytes.Buffer
	p := newApplyProgress(&out, tableOptions(), nil)
	for _, rec := range all {
		if err := p.Record(rec); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	if !strings.Contains(out.String(), "✗ create web (2): RequestLimitExceeded: Request limit exceeded. (will retry)\n") {
		t.Fatalf("create failure not named by its group:\n%s", out.String())
	}
}

func TestGoldenApplyProgressJSON(t *testing.T) {
	decided, all := applyFixture()
	var out bytes.Buffer
	p := newApplyProgress(&out, jsonOptions(), decided)
	for _, rec := range all {
		if err := p.Record(rec); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	if _, err := p.Finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
	assertGolden(t, "apply_json", out.Bytes())

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(all)+1 {
		t.Fatalf("got %d JSON lines, want %d records and the totals", len(lines), len(all))
	}
	var got []wal.Record
	sc := bufio.NewScanner(strings.NewReader(strings.Join(lines[:len(all)], "\n")))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec wal.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("record line does not parse: %v", err)
		}
		got = append(got, rec)
	}
	if !reflect.DeepEqual(got, all) {
		t.Fatal("apply NDJSON does not round-trip")
	}
	var done applyDone
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &done); err != nil || done.ApplyComplete.Created != 2 {
		t.Fatalf("totals line %q: %v", lines[len(lines)-1], err)
	}
}

func TestApplyCountsUseTheLastOutcome(t *testing.T) {
	var out bytes.Buffer
	p := newApplyProgress(&out, tableOptions(), nil)
	failed := wal.Record{Kind: wal.KindFailed, ResourceID: "i-1", DecisionID: "d-1", Time: at(0),
		Failed: &wal.Failed{Action: wal.ActionResize, Code: "X", Retryable: true}}
	ok := wal.Record{Kind: wal.KindExecuted, ResourceID: "i-1", DecisionID: "d-1", Time: at(1),
		Executed: &wal.Executed{Action: wal.ActionResize}}
	for _, rec := range []wal.Record{failed, ok} {
		if err := p.Record(rec); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	if got := p.Counts(); got != (applyCounts{Updated: 1}) {
		t.Fatalf("a retried-then-done resize counts as %+v, want 1 updated", got)
	}
}

// A launch that comes back short says how many are still missing, and the
// totals count them.
func TestGoldenApplyShortLaunch(t *testing.T) {
	create := decision("d-0009-01", "", at(0), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing,
		Reason: "Create: group web has 0 of 3 instances", Group: "web", Count: 3, Size: "t3.micro"})
	recs := []wal.Record{create,
		{Kind: wal.KindExecuting, Time: at(time.Second), DecisionID: "d-0009-01",
			Executing: &wal.Executing{Action: wal.ActionCreate, Description: "Starting launch of 3 instances", Attempt: 1}},
		{Kind: wal.KindExecuted, Time: at(2 * time.Second), DecisionID: "d-0009-01",
			Executed: &wal.Executed{Action: wal.ActionCreate, Message: "Launched 1 instance", ResourceIDs: []string{"i-0aaa000000000001"}}},
	}
	var out bytes.Buffer
	p := newApplyProgress(&out, tableOptions(), recs[:1])
	for _, rec := range recs[1:] {
		if err := p.Record(rec); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := p.Finish()
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "apply_short_table", out.Bytes())
	if !strings.Contains(out.String(), "launched 1 of 3; 2 still missing, next cycle retries") ||
		counts != (applyCounts{Created: 1, Missing: 2}) {
		t.Fatalf("short launch (%+v):\n%s", counts, out.String())
	}
}
