package main

import (
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// A protect decision renders as an in-place update of the instance.
func TestPlanRendersProtect(t *testing.T) {
	d := &wal.Decided{Action: wal.ActionProtect, Drift: wal.DriftDrifted, ResourceKind: wal.ResourceInstance}
	if sym, _ := actionSymbol(d.Action); sym != "~" {
		t.Fatalf("symbol %q, want ~", sym)
	}
	if got := planDetail(d); got != "termination protection on" {
		t.Fatalf("detail %q", got)
	}
	if c := countPlan([]wal.Record{{Kind: wal.KindDecided, Decided: d}}); c.Update != 1 {
		t.Fatalf("counts %+v, want one update", c)
	}
	if progressVerb(d.Action) != "protecting" || pastVerb(d.Action) != "protected" {
		t.Fatalf("verbs %q, %q", progressVerb(d.Action), pastVerb(d.Action))
	}
}
