package fsm

import (
	"testing"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/wal"
)

// cmdLogAs is cmdLog in an older format, as a leader writes it while the
// cluster still has nodes of an older release.
func cmdLogAs(tb testing.TB, index uint64, format byte, recs ...wal.Record) *raft.Log {
	tb.Helper()
	data, err := wal.EncodeBatchAs(&wal.Batch{Records: recs}, format)
	if err != nil {
		tb.Fatalf("encode batch as format %d: %v", format, err)
	}
	return &raft.Log{Index: index, Term: 2, Type: raft.LogCommand, Data: data}
}

// TestStartDecisionKeptFromFormatV6: a start decided in format 6 is an open
// decision (a new leader recovers it) until its outcome; the same decision
// in format 4 or 5 only goes to the audit log, as those releases computed,
// so old and new nodes hold the same state from the same log.
func TestStartDecisionKeptFromFormatV6(t *testing.T) {
	for _, c := range []struct {
		format byte
		kept   bool
	}{{wal.FormatV4, false}, {wal.FormatV5, false}, {wal.FormatV6, true}} {
		f, _ := newTestFSM(t)
		start := decidedRec("d-1", "i-1", wal.ActionStart, false)
		intent := executingRec("d-1", "i-1")
		intent.Executing.Action = wal.ActionStart
		applyOK(t, f, cmdLogAs(t, 1, c.format, start), cmdLogAs(t, 2, c.format, intent))
		in, err := f.OpenIntents(0)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(in) == 1 && in[0].Decided.Decided.Action == wal.ActionStart && in[0].Executing != nil; got != c.kept {
			t.Fatalf("format %d: open intents %+v, want the start kept: %v", c.format, in, c.kept)
		}
		if !c.kept {
			mustAbsent(t, f.Store(), DecisionKey("d-1"), 2)
			continue
		}
		done := executedRec("d-1", "i-1")
		done.Executed.Action = wal.ActionStart
		applyOK(t, f, cmdLogAs(t, 3, c.format, done))
		if in, err := f.OpenIntents(0); err != nil || len(in) != 0 {
			t.Fatalf("format %d after the outcome: %+v, %v; want none open", c.format, in, err)
		}
	}
}
