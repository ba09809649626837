package fsm

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// TestApplyEveryKindUpdatesKeys applies, for each kind, some prior records
// (one log each) and then the record under test, and checks the keys of the
// scheme, the audit log and the applied index.
func TestApplyEveryKindUpdatesKeys(t *testing.T) {
	obs := observedRec("i-1", wal.ChangeNew, "t3.micro")
	upd := observedRec("i-1", wal.ChangeUpdated, "t3.large")
	gone := observedRec("i-1", wal.ChangeGone, "t3.large")
	dec := decidedRec("d-1", "i-1", wal.ActionDelete, false)
	exe := executingRec("d-1", "i-1")
	tests := []struct {
		name    string
		prior   []wal.Record
		rec     wal.Record
		wantPut []string // keys that must hold rec afterwards
		wantDel []string // keys that must be absent afterwards
	}{
		{"observed new", nil, obs, []string{"resources/i-1"}, nil},
		{"observed updated", []wal.Record{obs}, upd, []string{"resources/i-1"}, nil},
		{"observed gone", []wal.Record{obs}, gone, nil, []string{"resources/i-1"}},
		{"observed gone, never seen", nil, gone, nil, []string{"resources/i-1"}},
		{"decided delete", nil, dec, []string{"decisions/d-1"}, nil},
		{"decided create", nil, decidedRec("d-2", "", wal.ActionCreate, false), []string{"decisions/d-2"}, nil},
		{"decided update tags", nil, decidedRec("d-3", "i-1", wal.ActionUpdateTags, false), []string{"decisions/d-3"}, nil},
		{"decided resize", nil, decidedRec("d-4", "i-1", wal.ActionResize, false), []string{"decisions/d-4"}, nil},
		{"decided dry run", nil, decidedRec("d-5", "i-1", wal.ActionDelete, true), nil, []string{"decisions/d-5"}},
		{"decided refuse", nil, decidedRec("d-6", "i-1", wal.ActionRefuse, false), nil, []string{"decisions/d-6"}},
		{"decided hold", nil, decidedRec("d-7", "i-1", wal.ActionHold, false), nil, []string{"decisions/d-7"}},
		{"decided report", nil, decidedRec("d-8", "i-1", wal.ActionReport, false), nil, []string{"decisions/d-8"}},
		{"executing", []wal.Record{dec}, exe, []string{"intents/d-1"}, nil},
		{"executed", []wal.Record{dec, exe}, executedRec("d-1", "i-1"), nil, []string{"intents/d-1", "decisions/d-1"}},
		{"failed", []wal.Record{dec, exe}, failedRec("d-1", "i-1"), nil, []string{"intents/d-1", "decisions/d-1"}},
		{"failed before executing", []wal.Record{dec}, failedRec("d-1", "i-1"), nil, []string{"intents/d-1", "decisions/d-1"}},
		{"config", nil, configRec("abc"), []string{"config"}, nil},
		{"config replaced", []wal.Record{configRec("abc")}, configRec("def"), []string{"config"}, nil},
		{"summary", []wal.Record{summaryRec(1)}, summaryRec(7), []string{"cycles/last"}, nil},
		{"note on resource", nil, noteRec("i-1", "hello"), []string{"notes/i-1"}, nil},
		{"note without resource", nil, noteRec("", "hello"), nil, []string{"notes/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newTestFSM(t)
			var index uint64
			for _, p := range tt.prior {
				index++
				applyOK(t, f, cmdLog(t, index, p))
			}
			index++
			applyOK(t, f, cmdLog(t, index, tt.rec))
			s := f.Store()
			for _, key := range tt.wantPut {
				sameRecord(t, key, mustGet(t, s, key, 0), tt.rec)
				kv, err := s.Get(key, 0)
				if err != nil || kv.ModRevision != (mvcc.Revision{Main: index}) {
					t.Fatalf("%s: mod revision %v (%v), want {%d 0}", key, kv.ModRevision, err, index)
				}
			}
			for _, key := range tt.wantDel {
				mustAbsent(t, s, key, 0)
			}
			if got, _ := s.AppliedIndex(); got != index {
				t.Fatalf("applied index %d, want %d", got, index)
			}
			log := auditLog(t, s)
			if len(log) != len(tt.prior)+1 {
				t.Fatalf("audit log has %d records, want %d", len(log), len(tt.prior)+1)
			}
			last := log[len(log)-1]
			if last.Revision != (mvcc.Revision{Main: index}) {
				t.Fatalf("audit revision %v, want {%d 0}", last.Revision, index)
			}
			sameRecord(t, "audit record", last.Record, tt.rec)
		})
	}
}

// TestDeleteOfAbsentKeyWritesNoTombstone: an outcome or a gone observation
// for a key that never existed leaves no history.
func TestDeleteOfAbsentKeyWritesNoTombstone(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f, cmdLog(t, 1, observedRec("i-9", wal.ChangeGone, "t3.micro"), failedRec("d-9", "i-9")))
	for _, key := range []string{"resources/i-9", "intents/d-9", "decisions/d-9"} {
		h, err := f.Store().History(key)
		if err != nil && !errors.Is(err, mvcc.ErrKeyNotFound) {
			t.Fatalf("history %s: %v", key, err)
		}
		if len(h) != 0 {
			t.Fatalf("history %s: %+v, want none", key, h)
		}
	}
}

// TestSeveralRecordsInOneEntry: records of one batch are applied in order,
// each op at its own sub-revision; a put then delete of the same key inside
// one entry ends absent.
func TestSeveralRecordsInOneEntry(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f, cmdLog(t, 1,
		observedRec("i-1", wal.ChangeNew, "t3.micro"),
		observedRec("i-2", wal.ChangeNew, "t3.micro"),
		observedRec("i-1", wal.ChangeGone, "t3.micro"),
		observedRec("i-3", wal.ChangeNew, "t3.micro"),
	))
	s := f.Store()
	mustAbsent(t, s, "resources/i-1", 0)
	kv, err := s.Get("resources/i-3", 0)
	if err != nil || kv.ModRevision != (mvcc.Revision{Main: 1, Sub: 3}) {
		t.Fatalf("resources/i-3: %v %v, want mod revision {1 3}", kv.ModRevision, err)
	}
	if n := len(auditLog(t, s)); n != 4 {
		t.Fatalf("audit log has %d records, want 4", n)
	}
}

// TestIntentLifecycle: decided → executing → executed (or failed) opens
// and then removes the intent and decision keys; time travel still shows
// the open intent at the earlier revisions.
func TestIntentLifecycle(t *testing.T) {
	outcomes := map[string]func(string, string) wal.Record{"executed": executedRec, "failed": failedRec}
	for name, outcome := range outcomes {
		for _, action := range []wal.Action{wal.ActionDelete, wal.ActionAdopt} {
			t.Run(name+"/"+action.String(), func(t *testing.T) { testIntentLifecycle(t, action, outcome) })
		}
	}
}

// testIntentLifecycle is TestIntentLifecycle for one action and outcome.
func testIntentLifecycle(t *testing.T, action wal.Action, outcome func(string, string) wal.Record) {
	f, _ := newTestFSM(t)
	dec, exe := decidedRec("d-1", "i-1", action, false), executingRec("d-1", "i-1")
	applyOK(t, f, cmdLog(t, 1, dec))
	applyOK(t, f, cmdLog(t, 2, exe), cmdLog(t, 3, outcome("d-1", "i-1")))
	want := map[uint64][]Intent{1: {{Decided: dec}}, 2: {{Decided: dec, Executing: &exe}}, 3: {}}
	for rev, w := range want {
		got, err := f.OpenIntents(rev)
		if err != nil {
			t.Fatalf("open intents at %d: %v", rev, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("open intents at %d:\n got  %+v\n want %+v", rev, got, w)
		}
	}
	got, err := f.OpenIntents(0)
	if err != nil || len(got) != 0 {
		t.Fatalf("open intents now: %+v, %v; want none", got, err)
	}
	for _, key := range []string{"intents/d-1", "decisions/d-1"} {
		mustAbsent(t, f.Store(), key, 3)
	}
}

// TestDryRunDecisionsLeaveNoDecisionKey: a dry-run cycle only audits.
func TestDryRunDecisionsLeaveNoDecisionKey(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f, cmdLog(t, 1,
		decidedRec("d-1", "i-1", wal.ActionDelete, true),
		decidedRec("d-2", "", wal.ActionCreate, true),
		decidedRec("d-3", "i-2", wal.ActionResize, true),
	))
	kvs, err := f.Store().List(PrefixDecisions, 0)
	if err != nil || len(kvs) != 0 {
		t.Fatalf("decisions: %+v, %v; want none", kvs, err)
	}
	if in, err := f.OpenIntents(0); err != nil || len(in) != 0 {
		t.Fatalf("open intents: %+v, %v; want none", in, err)
	}
	if n := len(auditLog(t, f.Store())); n != 3 {
		t.Fatalf("audit log has %d records, want 3", n)
	}
}

// TestNonCommandLogsAdvanceAppliedIndex: configuration changes, no-ops and
// barriers change no key but move the applied index.
func TestNonCommandLogsAdvanceAppliedIndex(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f,
		&raft.Log{Index: 1, Term: 1, Type: raft.LogConfiguration, Data: []byte("not a wal batch")},
		&raft.Log{Index: 2, Term: 1, Type: raft.LogNoop},
		&raft.Log{Index: 3, Term: 2, Type: raft.LogBarrier},
	)
	if idx, term := f.Store().AppliedIndex(); idx != 3 || term != 2 {
		t.Fatalf("applied %d/%d, want 3/2", idx, term)
	}
	if kvs, err := f.Store().List("", 0); err != nil || len(kvs) != 0 {
		t.Fatalf("keys: %+v, %v; want none", kvs, err)
	}
	if n := len(auditLog(t, f.Store())); n != 0 {
		t.Fatalf("audit log has %d records, want 0", n)
	}
}

// TestApplyIsApplyBatchOfOne: Apply returns the same ApplyResult.
func TestApplyIsApplyBatchOfOne(t *testing.T) {
	f, _ := newTestFSM(t)
	out := f.Apply(cmdLog(t, 1, observedRec("i-1", wal.ChangeNew, "t3.micro")))
	res, ok := out.(ApplyResult)
	if !ok || res.Err != nil || res.Revision != 1 {
		t.Fatalf("apply: %#v, want ApplyResult{Revision: 1}", out)
	}
	mustGet(t, f.Store(), "resources/i-1", 1)
	res, ok = f.Apply(&raft.Log{Index: 2, Term: 2, Type: raft.LogCommand, Data: []byte{0xff, 1, 2}}).(ApplyResult)
	if !ok || res.Revision != 2 || !errors.Is(res.Err, wal.ErrUnknownVersion) {
		t.Fatalf("apply garbage: %+v, want wal.ErrUnknownVersion at revision 2", res)
	}
}

// TestBadCommandDoesNotStopTheBatch: undecodable commands and records that
// do not fit the key scheme are rejected one by one (an error value, the
// index still advances, nothing of them is stored) while the rest of the
// batch applies.
func TestBadCommandDoesNotStopTheBatch(t *testing.T) {
	f, _ := newTestFSM(t)
	long := strings.Repeat("x", 600)
	logs := []*raft.Log{
		cmdLog(t, 1, observedRec("i-1", wal.ChangeNew, "t3.micro")),
		{Index: 2, Term: 2, Type: raft.LogCommand, Data: []byte("garbage")},
		{Index: 3, Term: 2, Type: raft.LogCommand, Data: nil},
		cmdLog(t, 4, observedRec("i-2", wal.ChangeNew, "t3.micro"), observedRec("bad\x00id", wal.ChangeNew, "t3.micro")),
		cmdLog(t, 5, observedRec(long, wal.ChangeNew, "t3.micro")),
		cmdLog(t, 6, decidedRec("", "i-1", wal.ActionDelete, false)),
		cmdLog(t, 7, observedRec("i-3", wal.ChangeNew, "t3.micro")),
	}
	res := results(t, f.ApplyBatch(logs))
	wantErr := []error{nil, wal.ErrUnknownVersion, wal.ErrCorrupt, ErrInvalidRecord, ErrInvalidRecord, ErrInvalidRecord, nil}
	for i, r := range res {
		if r.Revision != logs[i].Index {
			t.Fatalf("log %d: revision %d, want %d", i, r.Revision, logs[i].Index)
		}
		if (wantErr[i] == nil) != (r.Err == nil) || (wantErr[i] != nil && !errors.Is(r.Err, wantErr[i])) {
			t.Fatalf("log %d: err %v, want %v", i, r.Err, wantErr[i])
		}
	}
	s := f.Store()
	if idx, _ := s.AppliedIndex(); idx != 7 {
		t.Fatalf("applied index %d, want 7", idx)
	}
	mustGet(t, s, "resources/i-1", 0)
	mustGet(t, s, "resources/i-3", 0)
	mustAbsent(t, s, "resources/i-2", 0) // its entry was rejected as a whole
	if n := len(auditLog(t, s)); n != 2 {
		t.Fatalf("audit log has %d records, want 2 (rejected entries are not audited)", n)
	}
	if err := f.Err(); err != nil {
		t.Fatalf("fsm stopped on a bad command: %v", err)
	}
}

// TestStoreFailureIsFatalAndSticky: a commit that fails fails every log of
// the batch and every later log, and closes Failed.
func TestStoreFailureIsFatalAndSticky(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f, cmdLog(t, 1, observedRec("i-1", wal.ChangeNew, "t3.micro")))
	if err := f.Store().Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	res := results(t, f.ApplyBatch([]*raft.Log{
		cmdLog(t, 2, observedRec("i-2", wal.ChangeNew, "t3.micro")),
		{Index: 3, Term: 2, Type: raft.LogNoop},
	}))
	for i, r := range res {
		if !errors.Is(r.Err, ErrStoreFailed) || !errors.Is(r.Err, mvcc.ErrClosed) {
			t.Fatalf("log %d: %v, want ErrStoreFailed wrapping mvcc.ErrClosed", i, r.Err)
		}
	}
	select {
	case <-f.Failed():
	default:
		t.Fatal("Failed() not closed after a commit failure")
	}
	if !errors.Is(f.Err(), ErrStoreFailed) {
		t.Fatalf("Err() = %v, want ErrStoreFailed", f.Err())
	}
	r, ok := f.Apply(&raft.Log{Index: 4, Term: 2, Type: raft.LogNoop}).(ApplyResult)
	if !ok || !errors.Is(r.Err, ErrStoreFailed) {
		t.Fatalf("apply after failure: %+v, want ErrStoreFailed", r)
	}
}

// TestCompactionRecord: a compaction record compacts history below its
// revision, keeping each key's value as of that revision.
func TestCompactionRecord(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f,
		cmdLog(t, 1, observedRec("i-1", wal.ChangeNew, "t3.micro")),
		cmdLog(t, 2, observedRec("i-1", wal.ChangeUpdated, "t3.large")),
		cmdLog(t, 3, observedRec("i-2", wal.ChangeNew, "t3.micro")),
	)
	applyOK(t, f, cmdLog(t, 4, compactionRec(3)))
	s := f.Store()
	if got := s.CompactedRevision(); got != 3 {
		t.Fatalf("compacted revision %d, want 3", got)
	}
	if _, err := f.Resources(1); !errors.Is(err, mvcc.ErrCompacted) {
		t.Fatalf("resources at 1: %v, want mvcc.ErrCompacted", err)
	}
	res, err := f.Resources(3)
	if err != nil || len(res) != 2 || res[0].Record.Observed.Resource.Instance.Size != "t3.large" {
		t.Fatalf("resources at 3: %+v, %v", res, err)
	}
	if n := len(auditLog(t, s)); n != 4 {
		t.Fatalf("audit log has %d records, want 4 (compaction is of KV history only)", n)
	}
}

// TestStoresTheBytesTheLogCarried: the FSM does not encode records again;
// a register and the audit log hold the record as the log carries it, in
// the format the leader wrote.
func TestStoresTheBytesTheLogCarried(t *testing.T) {
	f, _ := newTestFSM(t)
	rec := noteRec("i-7", "as proposed")
	data, err := wal.EncodeBatchAs(&wal.Batch{Records: []wal.Record{rec}}, wal.FormatV2)
	if err != nil {
		t.Fatal(err)
	}
	_, raws, err := wal.DecodeBatchEncoded(data)
	if err != nil {
		t.Fatal(err)
	}
	applyOK(t, f, &raft.Log{Index: 3, Term: 1, Type: raft.LogCommand, Data: data})
	kv, err := f.Store().Get(NoteKey("i-7"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kv.Value, raws[0]) || kv.Value[0] != wal.FormatV2 {
		t.Fatalf("register holds % x, the log carried % x", kv.Value, raws[0])
	}
	audit := auditLog(t, f.Store())
	if len(audit) != 1 || audit[0].Record.Note.Text != "as proposed" {
		t.Fatalf("audit log %+v", audit)
	}
}
