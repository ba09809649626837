package wal

import (
	"reflect"
	"testing"
)

// TestBudgetLeftOutOfFormat4: a summary written as format 4 (a server of
// the previous release remains) is the previous release's bytes: the API
// budget is left out, the rest of the summary is kept; in format 5 the
// budget survives the round trip.
func TestBudgetLeftOutOfFormat4(t *testing.T) {
	golden := readHexGolden(t, "testdata/format-v4.hex")
	for _, r := range fullRecords() {
		if r.Kind != KindCycleSummary {
			continue
		}
		if r.Summary.Budget == nil {
			t.Fatal("the summary fixture has no budget")
		}
		v4, err := EncodeRecordAs(nil, &r, FormatV4)
		if err != nil {
			t.Fatalf("summary with a budget as format 4: %v", err)
		}
		if string(v4) != string(golden["summary"]) {
			t.Errorf("summary as format 4:\n got %x\nwant %x", v4, golden["summary"])
		}
		got, err := DecodeRecord(mustEncode(t, &r))
		if err != nil || !reflect.DeepEqual(got.Summary.Budget, r.Summary.Budget) {
			t.Errorf("format 5 budget decodes to %+v (%v), want %+v", got.Summary.Budget, err, r.Summary.Budget)
		}
		if got.Summary.Budget.PlannedCalls() != 10 || got.Summary.Budget.ActualCalls() != 11 {
			t.Errorf("planned %d, actual %d calls; want 10, 11", got.Summary.Budget.PlannedCalls(), got.Summary.Budget.ActualCalls())
		}
	}
}
