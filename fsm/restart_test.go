package fsm

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// history is a run of logs exercising every kind: resources come, change
// and go, decisions open and close, configs and summaries replace each
// other, a note register is written, and one entry is garbage.
func history(tb testing.TB, n int) []*raft.Log {
	tb.Helper()
	var logs []*raft.Log
	add := func(recs ...wal.Record) {
		logs = append(logs, cmdLog(tb, uint64(len(logs)+1), recs...))
	}
	add(configRec("v1"))
	for i := range n {
		id, did := fmt.Sprintf("i-%d", i%5), fmt.Sprintf("d-%d", i)
		switch i % 6 {
		case 0:
			add(observedRec(id, wal.ChangeNew, "t3.micro"), summaryRec(i))
		case 1:
			add(observedRec(id, wal.ChangeUpdated, "t3.large"), decidedRec(did, id, wal.ActionResize, false))
		case 2:
			add(decidedRec(did, id, wal.ActionDelete, false), executingRec(did, id))
		case 3:
			add(executedRec(fmt.Sprintf("d-%d", i-1), id), observedRec(id, wal.ChangeGone, "t3.large"))
		case 4:
			add(noteRec(id, fmt.Sprintf("note %d", i)), decidedRec(did, id, wal.ActionRefuse, false))
			logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Term: 2, Type: raft.LogConfiguration})
		case 5:
			logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Term: 2, Type: raft.LogCommand, Data: []byte{1, 0xff}})
			add(configRec(fmt.Sprintf("v%d", i)), summaryRec(i))
		}
	}
	return logs
}

// everything captures all reads at every revision plus the audit log and
// each key's history, for before/after comparisons.
func everything(tb testing.TB, f *FSM) []string {
	tb.Helper()
	s := f.Store()
	idx, term := s.AppliedIndex()
	out := []string{fmt.Sprintf("applied %d/%d compacted %d", idx, term, s.CompactedRevision())}
	for rev := s.CompactedRevision(); rev <= s.CurrentRevision(); rev++ {
		if rev == 0 {
			continue
		}
		out = append(out, dump(tb, f, rev))
	}
	out = append(out, fmt.Sprintf("audit %+v", auditJSON(tb, auditLog(tb, s))))
	kvs, err := s.List("", 0)
	if err != nil {
		tb.Fatalf("list: %v", err)
	}
	for _, key := range append(keysOf(kvs), "resources/i-0", "decisions/d-2", "intents/d-2") {
		h, err := s.History(key)
		if err != nil && !errors.Is(err, mvcc.ErrKeyNotFound) {
			tb.Fatalf("history %s: %v", key, err)
		}
		out = append(out, fmt.Sprintf("history %s %d %+v", key, len(h), historyRevs(h)))
	}
	return out
}

func keysOf(kvs []mvcc.KeyValue) []string {
	keys := make([]string, len(kvs))
	for i, kv := range kvs {
		keys[i] = kv.Key
	}
	return keys
}

func historyRevs(h []mvcc.KeyValue) []string {
	out := make([]string, len(h))
	for i, kv := range h {
		out[i] = fmt.Sprintf("%v/%v/%d/%t", kv.CreateRevision, kv.ModRevision, kv.Version, kv.Deleted)
	}
	return out
}

func auditJSON(tb testing.TB, recs []mvcc.RecordAt) []string {
	tb.Helper()
	out := make([]string, len(recs))
	for i, r := range recs {
		b, err := wal.EncodeRecord(nil, &r.Record)
		if err != nil {
			tb.Fatalf("encode audit record %d: %v", i, err)
		}
		out[i] = fmt.Sprintf("%v:%x", r.Revision, b)
	}
	return out
}

// TestReapplyAfterRestartChangesNothing: after a restart Raft replays the
// log since the last snapshot; entries the store already holds are skipped,
// whether the replay comes in one batch, one by one, or mixed with new logs.
func TestReapplyAfterRestartChangesNothing(t *testing.T) {
	f, path := newTestFSM(t)
	logs := history(t, 30)
	applyHistory(t, f, logs[:10]...)
	applyHistory(t, f, logs[10:]...)
	before := everything(t, f)
	if err := f.Store().Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	s := openStore(t, path)
	t.Cleanup(func() { _ = s.Close() })
	f = New(s, nil)
	for i, r := range results(t, f.ApplyBatch(logs)) {
		if r.Revision != logs[i].Index || r.Err != nil {
			t.Fatalf("replayed log %d: %+v, want revision %d and no error (already applied: skipped)", i, r, logs[i].Index)
		}
	}
	for _, l := range logs[:5] {
		applyOK(t, f, l)
	}
	after := everything(t, f)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed by replay:\n before %v\n after  %v", before, after)
	}

	next := uint64(len(logs) + 1)
	applyOK(t, f, append(logs[len(logs)-3:], cmdLog(t, next, observedRec("i-new", wal.ChangeNew, "t3.micro")))...)
	if idx, _ := s.AppliedIndex(); idx != next {
		t.Fatalf("applied index %d, want %d", idx, next)
	}
	if n, want := len(auditLog(t, s)), countRecords(t, logs)+1; n != want {
		t.Fatalf("audit log has %d records, want %d (no double apply)", n, want)
	}
}

// applyHistory applies logs as one batch; only the undecodable commands
// may (and must) fail.
func applyHistory(tb testing.TB, f *FSM, logs ...*raft.Log) {
	tb.Helper()
	for i, r := range results(tb, f.ApplyBatch(logs)) {
		if r.Revision != logs[i].Index {
			tb.Fatalf("log %d: revision %d, want %d", i, r.Revision, logs[i].Index)
		}
		if bad := undecodable(logs[i]); bad != (r.Err != nil) {
			tb.Fatalf("log %d (index %d, undecodable %t): err %v", i, logs[i].Index, bad, r.Err)
		}
	}
}

func undecodable(l *raft.Log) bool {
	if l.Type != raft.LogCommand {
		return false
	}
	_, err := wal.DecodeBatch(l.Data)
	return err != nil
}

// countRecords counts the records of the decodable command logs.
func countRecords(tb testing.TB, logs []*raft.Log) int {
	tb.Helper()
	n := 0
	for _, l := range logs {
		if l.Type != raft.LogCommand {
			continue
		}
		if b, err := wal.DecodeBatch(l.Data); err == nil {
			n += len(b.Records)
		}
	}
	return n
}
