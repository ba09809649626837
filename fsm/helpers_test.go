package fsm

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// baseTime is the proposer's clock in tests (records carry their own time).
var baseTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(tb testing.TB, path string) *mvcc.Store {
	tb.Helper()
	s, err := mvcc.Open(path, mvcc.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("open store %s: %v", path, err)
	}
	return s
}

// newTestFSM returns an FSM over a fresh store in a temp dir, closed at the
// end of the test, and the store's path.
func newTestFSM(tb testing.TB) (*FSM, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "state.db")
	s := openStore(tb, path)
	tb.Cleanup(func() { _ = s.Close() })
	return New(s, nil), path
}

func header(kind wal.Kind, resourceID, decisionID string, n int) wal.Record {
	return wal.Record{
		Kind:       kind,
		ResourceID: resourceID,
		Time:       baseTime.Add(time.Duration(n) * time.Second),
		Node:       "n1",
		Term:       2,
		DecisionID: decisionID,
		CycleID:    "c-1",
	}
}

func observedRec(id string, change wal.ObservedChange, size string) wal.Record {
	r := header(wal.KindObserved, id, "", 1)
	r.Observed = &wal.Observed{Change: change, Resource: wal.Resource{
		ID: id, Kind: wal.ResourceInstance, Instance: &wal.Instance{Size: size}, State: "running",
		Tags: map[string]string{"Name": id, wal.TagManaged: "true"}, Managed: true, Group: "web",
	}}
	return r
}

func decidedRec(decisionID, resourceID string, action wal.Action, dryRun bool) wal.Record {
	r := header(wal.KindDecided, resourceID, decisionID, 2)
	r.Decided = &wal.Decided{ResourceKind: wal.ResourceInstance, Action: action, Drift: wal.DriftUnwanted, Reason: "Delete: Not in desired configuration", DryRun: dryRun}
	return r
}

func executingRec(decisionID, resourceID string) wal.Record {
	r := header(wal.KindExecuting, resourceID, decisionID, 3)
	r.Executing = &wal.Executing{Action: wal.ActionDelete, Description: "Starting deletion", Attempt: 1}
	return r
}

func executedRec(decisionID, resourceID string) wal.Record {
	r := header(wal.KindExecuted, resourceID, decisionID, 4)
	r.Executed = &wal.Executed{Action: wal.ActionDelete, Message: "Successfully deleted"}
	return r
}

func failedRec(decisionID, resourceID string) wal.Record {
	r := header(wal.KindFailed, resourceID, decisionID, 4)
	r.Failed = &wal.Failed{Action: wal.ActionDelete, Code: "RequestLimitExceeded", Message: "slow down", Retryable: true}
	return r
}

func configRec(digest string) wal.Record {
	r := header(wal.KindConfigApplied, "", "", 0)
	r.Config = &wal.ConfigApplied{Source: "infrastructure.yaml", Digest: digest, Config: wal.Config{
		Version: "v1", Provider: "aws", Region: "eu-west-1",
		Policy: wal.Policy{DeleteUnwanted: true, MaxDeletions: 2},
		Groups: []wal.Group{{Name: "web", Type: "ec2", Count: 3, Size: "t3.micro"}},
	}}
	return r
}

func summaryRec(observed int) wal.Record {
	r := header(wal.KindCycleSummary, "", "", 5)
	r.Summary = &wal.CycleSummary{Observed: observed, InSync: observed, DurationMS: 12}
	return r
}

func compactionRec(rev uint64) wal.Record {
	r := header(wal.KindCompaction, "", "", 6)
	r.Compaction = &wal.Compaction{Revision: rev}
	return r
}

func noteRec(resourceID, text string) wal.Record {
	r := header(wal.KindNote, resourceID, "", 7)
	r.Note = &wal.Note{Text: text}
	return r
}

// cmdLog is a committed command log carrying records as one wal.Batch.
func cmdLog(tb testing.TB, index uint64, recs ...wal.Record) *raft.Log {
	tb.Helper()
	data, err := wal.EncodeBatch(&wal.Batch{Records: recs})
	if err != nil {
		tb.Fatalf("encode batch for index %d: %v", index, err)
	}
	return &raft.Log{Index: index, Term: 2, Type: raft.LogCommand, Data: data}
}

// applyOK applies logs as one batch and fails the test on any error result.
func applyOK(tb testing.TB, f *FSM, logs ...*raft.Log) {
	tb.Helper()
	for i, res := range results(tb, f.ApplyBatch(logs)) {
		if res.Err != nil {
			tb.Fatalf("log %d (index %d): %v", i, logs[i].Index, res.Err)
		}
		if res.Revision != logs[i].Index {
			tb.Fatalf("log %d: revision %d, want index %d", i, res.Revision, logs[i].Index)
		}
	}
}

// results converts ApplyBatch's responses, failing on a foreign type.
func results(tb testing.TB, out []any) []ApplyResult {
	tb.Helper()
	res := make([]ApplyResult, len(out))
	for i, o := range out {
		r, ok := o.(ApplyResult)
		if !ok {
			tb.Fatalf("response %d is %T, want fsm.ApplyResult", i, o)
		}
		res[i] = r
	}
	return res
}

// decodeKV decodes the record stored in a key-value.
func decodeKV(tb testing.TB, kv mvcc.KeyValue) wal.Record {
	tb.Helper()
	rec, err := wal.DecodeRecord(kv.Value)
	if err != nil {
		tb.Fatalf("decode %s: %v", kv.Key, err)
	}
	return rec
}

// mustGet returns the record under key at rev.
func mustGet(tb testing.TB, s *mvcc.Store, key string, rev uint64) wal.Record {
	tb.Helper()
	kv, err := s.Get(key, rev)
	if err != nil {
		tb.Fatalf("get %s at %d: %v", key, rev, err)
	}
	return decodeKV(tb, kv)
}

// mustAbsent fails unless key is absent at rev.
func mustAbsent(tb testing.TB, s *mvcc.Store, key string, rev uint64) {
	tb.Helper()
	kv, err := s.Get(key, rev)
	if !errors.Is(err, mvcc.ErrKeyNotFound) {
		tb.Fatalf("get %s at %d: got %+v, %v; want mvcc.ErrKeyNotFound", key, rev, kv, err)
	}
}

func sameRecord(tb testing.TB, what string, got, want wal.Record) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// dump renders everything readable at rev (live keys with revisions, and the
// typed views, as JSON so pointers are followed) so two stores can be
// compared revision by revision.
func dump(tb testing.TB, f *FSM, rev uint64) string {
	tb.Helper()
	kvs, err := f.Store().List("", rev)
	if err != nil {
		tb.Fatalf("list at %d: %v", rev, err)
	}
	res, err := f.Resources(rev)
	if err != nil {
		tb.Fatalf("resources at %d: %v", rev, err)
	}
	cfg, cfgAt, err := f.Config(rev)
	if err != nil {
		tb.Fatalf("config at %d: %v", rev, err)
	}
	sum, sumAt, err := f.LastSummary(rev)
	if err != nil {
		tb.Fatalf("summary at %d: %v", rev, err)
	}
	intents, err := f.OpenIntents(rev)
	if err != nil {
		tb.Fatalf("intents at %d: %v", rev, err)
	}
	type view struct {
		KVs       []mvcc.KeyValue
		Resources []ResourceState
		Config    *wal.ConfigApplied
		ConfigAt  mvcc.Revision
		Summary   *wal.Record
		SummaryAt mvcc.Revision
		Intents   []Intent
	}
	out, err := json.Marshal(view{kvs, res, cfg, cfgAt, sum, sumAt, intents})
	if err != nil {
		tb.Fatalf("marshal view at %d: %v", rev, err)
	}
	return string(out)
}

// auditLog returns the whole audit log.
func auditLog(tb testing.TB, s *mvcc.Store) []mvcc.RecordAt {
	tb.Helper()
	recs, err := s.Replay(mvcc.ReplayFilter{})
	if err != nil {
		tb.Fatalf("replay: %v", err)
	}
	return recs
}
