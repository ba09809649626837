package fsm

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestApplyObserverTimesEveryCall: the observer is told once per Apply or
// ApplyBatch call, with the logs it carried and a positive duration, and
// the results are the FSM's.
func TestApplyObserverTimesEveryCall(t *testing.T) {
	type call struct {
		logs int
		took time.Duration
	}
	var calls []call
	f := New(openStore(t, t.TempDir()+"/state.db"), nil,
		WithApplyObserver(func(logs int, took time.Duration) { calls = append(calls, call{logs, took}) }))
	out := results(t, f.ApplyBatch([]*raft.Log{
		cmdLog(t, 1, noteRec("i-1", "a")), cmdLog(t, 2, noteRec("i-2", "b")), cmdLog(t, 3, noteRec("i-3", "c")),
	}))
	if len(out) != 3 || out[2].Revision != 3 || out[2].Err != nil {
		t.Fatalf("ApplyBatch results %+v", out)
	}
	if res, ok := f.Apply(cmdLog(t, 4, noteRec("i-4", "d"))).(ApplyResult); !ok || res.Err != nil || res.Revision != 4 {
		t.Fatalf("Apply = %+v", res)
	}
	if len(calls) != 2 || calls[0].logs != 3 || calls[1].logs != 1 || calls[0].took <= 0 || calls[1].took <= 0 {
		t.Fatalf("observer saw %+v, want one call of 3 logs and one of 1, both timed", calls)
	}
	mustGet(t, f.Store(), NoteKey("i-4"), 0)
}
