package fsm

import (
	"errors"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// TestResourcesAtRevisions: the typed view follows each resource's key
// history (a resource that goes and comes back restarts at version 1).
//
//	index 1  i-1 new (micro)        resources: i-1 v1
//	index 2  i-1 updated (large)    resources: i-1 v2
//	index 3  i-2 new                resources: i-1 v2, i-2 v1
//	index 4  i-1 gone               resources: i-2 v1
//	index 5  i-1 new again          resources: i-1 v1 (created at 5), i-2 v1
func TestResourcesAtRevisions(t *testing.T) {
	f, _ := newTestFSM(t)
	recs := []wal.Record{
		observedRec("i-1", wal.ChangeNew, "t3.micro"),
		observedRec("i-1", wal.ChangeUpdated, "t3.large"),
		observedRec("i-2", wal.ChangeNew, "t3.micro"),
		observedRec("i-1", wal.ChangeGone, "t3.large"),
		observedRec("i-1", wal.ChangeNew, "t3.nano"),
	}
	for i, r := range recs {
		applyOK(t, f, cmdLog(t, uint64(i+1), r))
	}
	type want struct {
		id              string
		size            string
		created, mod, v uint64
	}
	wants := map[uint64][]want{
		1: {{"i-1", "t3.micro", 1, 1, 1}},
		2: {{"i-1", "t3.large", 1, 2, 2}},
		3: {{"i-1", "t3.large", 1, 2, 2}, {"i-2", "t3.micro", 3, 3, 1}},
		4: {{"i-2", "t3.micro", 3, 3, 1}},
		5: {{"i-1", "t3.nano", 5, 5, 1}, {"i-2", "t3.micro", 3, 3, 1}},
		0: {{"i-1", "t3.nano", 5, 5, 1}, {"i-2", "t3.micro", 3, 3, 1}},
	}
	for rev, ws := range wants {
		got, err := f.Resources(rev)
		if err != nil {
			t.Fatalf("resources at %d: %v", rev, err)
		}
		if len(got) != len(ws) {
			t.Fatalf("resources at %d: %d, want %d", rev, len(got), len(ws))
		}
		for i, w := range ws {
			g := got[i]
			if g.Record.ResourceID != w.id || g.Record.Observed.Resource.Instance.Size != w.size ||
				g.CreateRevision != (mvcc.Revision{Main: w.created}) || g.ModRevision != (mvcc.Revision{Main: w.mod}) ||
				g.Version != int64(w.v) {
				t.Fatalf("resources at %d [%d]: %s %s c=%v m=%v v=%d; want %+v", rev, i, g.Record.ResourceID,
					g.Record.Observed.Resource.Instance.Size, g.CreateRevision, g.ModRevision, g.Version, w)
			}
		}
	}
	if _, err := f.Resources(6); !errors.Is(err, mvcc.ErrFutureRevision) {
		t.Fatalf("resources at 6: %v, want mvcc.ErrFutureRevision", err)
	}
}

// TestConfigAndSummaryAtRevisions: nil before the first record, then the
// one in force at each revision.
func TestConfigAndSummaryAtRevisions(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f, cmdLog(t, 1, noteRec("", "start")))
	cfg, at, err := f.Config(1)
	if cfg != nil || !at.IsZero() || err != nil {
		t.Fatalf("config before any: %+v %v %v; want nil", cfg, at, err)
	}
	sum, at, err := f.LastSummary(0)
	if sum != nil || !at.IsZero() || err != nil {
		t.Fatalf("summary before any: %+v %v %v; want nil", sum, at, err)
	}
	c1, c2, s1 := configRec("one"), configRec("two"), summaryRec(4)
	applyOK(t, f, cmdLog(t, 2, c1, s1), cmdLog(t, 3, noteRec("", "x")), cmdLog(t, 4, c2))
	for rev, wantDigest := range map[uint64]string{2: "one", 3: "one", 4: "two", 0: "two"} {
		cfg, _, err := f.Config(rev)
		if err != nil || cfg == nil || cfg.Digest != wantDigest {
			t.Fatalf("config at %d: %+v, %v; want digest %s", rev, cfg, err, wantDigest)
		}
	}
	cfg, at, err = f.Config(3)
	if err != nil || at != (mvcc.Revision{Main: 2}) || cfg.Config.Groups[0].Name != "web" {
		t.Fatalf("config at 3: %+v applied at %v, %v", cfg, at, err)
	}
	sum, at, err = f.LastSummary(4)
	if err != nil || at != (mvcc.Revision{Main: 2, Sub: 1}) {
		t.Fatalf("summary at 4: at %v, %v; want {2 1}", at, err)
	}
	sameRecord(t, "summary", *sum, s1)
}

// TestStateReadsRejectForeignValues: a key of the scheme holding something
// other than its kind's record is an error, not a wrong answer.
func TestStateReadsRejectForeignValues(t *testing.T) {
	f, _ := newTestFSM(t)
	note := noteRec("i-1", "not an observation")
	value, err := wal.EncodeRecord(nil, &note)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	err = f.Store().Commit([]mvcc.Entry{{Index: 1, Term: 1, Ops: []mvcc.Op{
		{Type: mvcc.OpPut, Key: ResourceKey("i-1"), Value: value},
		{Type: mvcc.OpPut, Key: KeyConfig, Value: []byte("garbage")},
		{Type: mvcc.OpPut, Key: DecisionKey("d-1"), Value: value},
	}}})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if _, err := f.Resources(0); err == nil {
		t.Fatal("resources: a note under resources/ was accepted")
	}
	if _, _, err := f.Config(0); !errors.Is(err, wal.ErrCorrupt) && !errors.Is(err, wal.ErrUnknownVersion) {
		t.Fatalf("config: %v, want a wal decode error", err)
	}
	if _, err := f.OpenIntents(0); err == nil {
		t.Fatal("open intents: a note under decisions/ was accepted")
	}
}

// TestOpenIntentsSeveral: several decisions, some executing, some closed,
// read at one revision in decision id order.
func TestOpenIntentsSeveral(t *testing.T) {
	f, _ := newTestFSM(t)
	d1, d2, d3 := decidedRec("d-1", "i-1", wal.ActionDelete, false), decidedRec("d-2", "", wal.ActionCreate, false),
		decidedRec("d-3", "i-3", wal.ActionUpdateTags, false)
	e2, e3 := executingRec("d-2", ""), executingRec("d-3", "i-3")
	applyOK(t, f, cmdLog(t, 1, d3, d1, d2), cmdLog(t, 2, e2, e3), cmdLog(t, 3, executedRec("d-3", "i-3")))
	got, err := f.OpenIntents(0)
	if err != nil || len(got) != 2 {
		t.Fatalf("open intents: %+v, %v; want d-1 and d-2", got, err)
	}
	sameRecord(t, "d-1", got[0].Decided, d1)
	if got[0].Executing != nil {
		t.Fatalf("d-1 has an intent: %+v", got[0].Executing)
	}
	sameRecord(t, "d-2", got[1].Decided, d2)
	if got[1].Executing == nil {
		t.Fatal("d-2 has no intent")
	}
	sameRecord(t, "d-2 intent", *got[1].Executing, e2)
}

// TestObservedIDs: the record's ResourceID and the observed resource's id
// must agree; either alone names the resource.
func TestObservedIDs(t *testing.T) {
	f, _ := newTestFSM(t)
	noRecordID := observedRec("i-7", wal.ChangeNew, "t3.micro")
	noRecordID.ResourceID = ""
	mismatch := observedRec("i-8", wal.ChangeNew, "t3.micro")
	mismatch.Observed.Resource.ID = "i-9"
	res := results(t, f.ApplyBatch([]*raft.Log{cmdLog(t, 1, noRecordID), cmdLog(t, 2, mismatch)}))
	if res[0].Err != nil || !errors.Is(res[1].Err, ErrInvalidRecord) {
		t.Fatalf("results %+v; want ok, ErrInvalidRecord", res)
	}
	mustGet(t, f.Store(), ResourceKey("i-7"), 0)
	mustAbsent(t, f.Store(), ResourceKey("i-8"), 0)
	mustAbsent(t, f.Store(), ResourceKey("i-9"), 0)
}
