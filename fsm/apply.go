package fsm

import (
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// applyLogs builds one mvcc.Entry per log and commits them all at once.
// Logs at or below the store's applied index are already in the store (a
// restart replays the log since the last snapshot) and are skipped.
func (f *FSM) applyLogs(logs []*raft.Log) []ApplyResult {
	results := make([]ApplyResult, len(logs))
	for i, l := range logs {
		results[i].Revision = l.Index
	}
	if err := f.Err(); err != nil {
		return failAll(results, err)
	}
	applied, _ := f.store.AppliedIndex()
	var b builder
	entries := make([]mvcc.Entry, 0, len(logs))
	for i, l := range logs {
		if l.Index <= applied {
			continue
		}
		entry, err := f.buildEntry(&b, l)
		results[i].Err = err
		entries = append(entries, entry)
	}
	if len(entries) == 0 {
		return results
	}
	if err := f.store.Commit(entries); err != nil {
		return failAll(results, f.fatal(logs, err))
	}
	return results
}

// fatal logs a store failure for the batch and makes it sticky.
func (f *FSM) fatal(logs []*raft.Log, cause error) error {
	first, last := logs[0].Index, logs[len(logs)-1].Index
	f.logger.Error("fsm: store failed, this node must stop",
		"first_index", first, "last_index", last, "err", cause)
	return f.fail(fmt.Errorf("%w: applying indexes %d-%d: %w", ErrStoreFailed, first, last, cause))
}

// failAll sets err on every result.
func failAll(results []ApplyResult, err error) []ApplyResult {
	for i := range results {
		results[i].Err = err
	}
	return results
}

// buildEntry turns one log into an entry. Non-command logs (configuration
// changes, no-ops, barriers) give an empty entry, which still advances the
// applied index. A command is decoded (and each record validated) once; one
// that cannot be decoded or carries a record no handler accepts is a broken
// invariant (the leader validates before proposing): it is logged and
// returned, and the entry is empty, so the node keeps going and stays in
// step with the others. Every record of a valid command goes to the audit
// log, and into the registers, as the bytes the log holds: nothing is
// encoded again.
func (f *FSM) buildEntry(b *builder, l *raft.Log) (mvcc.Entry, error) {
	entry := mvcc.Entry{Index: l.Index, Term: l.Term}
	if l.Type != raft.LogCommand {
		return entry, nil
	}
	batch, raws, err := wal.DecodeBatchEncoded(l.Data)
	if err != nil {
		f.logger.Error("fsm: undecodable command (broken invariant)", "index", l.Index, "term", l.Term, "err", err)
		return entry, fmt.Errorf("fsm: decode command at index %d: %w", l.Index, err)
	}
	b.reset()
	for i := range batch.Records {
		b.raw = raws[i]
		if err := f.dispatch(b, &batch.Records[i]); err != nil {
			f.logger.Error("fsm: invalid record (broken invariant)", "index", l.Index, "record", i, "err", err)
			return entry, fmt.Errorf("fsm: index %d record %d: %w", l.Index, i, err)
		}
	}
	entry.Ops, entry.Compact, entry.CompactAudit = b.ops, b.compact, b.audit
	entry.Records, entry.Encoded = batch.Records, raws
	return entry, nil
}

// dispatch hands rec (decoded, so valid: its payload matches its kind) to
// the handler of its kind.
func (f *FSM) dispatch(b *builder, rec *wal.Record) error {
	h, ok := f.handlers[rec.Kind]
	if !ok {
		return fmt.Errorf("%w: no handler for kind %s", ErrInvalidRecord, rec.Kind)
	}
	return h(b, rec)
}
