package fsm

import (
	"errors"
	"fmt"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// Typed reads of the state the FSM maintains. rev follows mvcc: 0 is the
// current revision, a revision above it is mvcc.ErrFutureRevision and one
// below the compaction point mvcc.ErrCompacted (both wrapped).

// ResourceState is a resource as last observed at a revision.
type ResourceState struct {
	Record         wal.Record    // the latest KindObserved record of the resource
	CreateRevision mvcc.Revision // when the resource was (re)first observed
	ModRevision    mvcc.Revision // the revision of Record
	Version        int64         // observations since CreateRevision, 1 for the first
}

// Intent is a decision that will be executed but has no outcome yet.
// Executing is the intent record when one was committed (the provider may
// have been called), nil when execution has not started.
type Intent struct {
	Decided   wal.Record
	Executing *wal.Record
}

// Resources returns the resources known at rev, in resource id order.
func (f *FSM) Resources(rev uint64) ([]ResourceState, error) {
	kvs, err := f.store.List(PrefixResources, rev)
	if err != nil {
		return nil, fmt.Errorf("fsm: list resources at revision %d: %w", rev, err)
	}
	out := make([]ResourceState, 0, len(kvs))
	for _, kv := range kvs {
		rec, err := decodeValue(kv, wal.KindObserved)
		if err != nil {
			return nil, err
		}
		out = append(out, ResourceState{
			Record:         rec,
			CreateRevision: kv.CreateRevision,
			ModRevision:    kv.ModRevision,
			Version:        kv.Version,
		})
	}
	return out, nil
}

// Config returns the configuration in force at rev and the revision it was
// applied at, or nil (and no error) when none had been applied.
func (f *FSM) Config(rev uint64) (*wal.ConfigApplied, mvcc.Revision, error) {
	rec, at, err := f.getRecord(KeyConfig, rev, wal.KindConfigApplied)
	if err != nil || rec == nil {
		return nil, mvcc.Revision{}, err
	}
	return rec.Config, at, nil
}

// LastSummary returns the latest cycle summary record at rev (its Time,
// Node and CycleID say which cycle) and its revision, or nil when no cycle
// had completed.
func (f *FSM) LastSummary(rev uint64) (*wal.Record, mvcc.Revision, error) {
	return f.getRecord(KeyCyclesLast, rev, wal.KindCycleSummary)
}

// OpenIntents returns the decisions without an outcome at rev, in decision
// id order, each with its intent when one was committed. Both prefixes are
// read at the same revision. An intent whose decision key is absent cannot
// be produced by the reconciler's protocol and is not returned.
func (f *FSM) OpenIntents(rev uint64) ([]Intent, error) {
	if rev == 0 {
		rev = f.store.CurrentRevision()
	}
	decisions, err := f.store.List(PrefixDecisions, rev)
	if err != nil {
		return nil, fmt.Errorf("fsm: list decisions at revision %d: %w", rev, err)
	}
	intents, err := f.store.List(PrefixIntents, rev)
	if err != nil {
		return nil, fmt.Errorf("fsm: list intents at revision %d: %w", rev, err)
	}
	executing := make(map[string]*wal.Record, len(intents))
	for _, kv := range intents {
		rec, err := decodeValue(kv, wal.KindExecuting)
		if err != nil {
			return nil, err
		}
		executing[idFromKey(PrefixIntents, kv.Key)] = &rec
	}
	out := make([]Intent, 0, len(decisions))
	for _, kv := range decisions {
		rec, err := decodeValue(kv, wal.KindDecided)
		if err != nil {
			return nil, err
		}
		out = append(out, Intent{Decided: rec, Executing: executing[idFromKey(PrefixDecisions, kv.Key)]})
	}
	return out, nil
}

// getRecord reads the record kept under key at rev; nil when absent.
func (f *FSM) getRecord(key string, rev uint64, kind wal.Kind) (*wal.Record, mvcc.Revision, error) {
	kv, err := f.store.Get(key, rev)
	if errors.Is(err, mvcc.ErrKeyNotFound) {
		return nil, mvcc.Revision{}, nil
	}
	if err != nil {
		return nil, mvcc.Revision{}, fmt.Errorf("fsm: get %s at revision %d: %w", key, rev, err)
	}
	rec, err := decodeValue(kv, kind)
	if err != nil {
		return nil, mvcc.Revision{}, err
	}
	return &rec, kv.ModRevision, nil
}

// decodeValue decodes the record stored in kv and checks it has kind.
func decodeValue(kv mvcc.KeyValue, kind wal.Kind) (wal.Record, error) {
	rec, err := wal.DecodeRecord(kv.Value)
	if err != nil {
		return wal.Record{}, fmt.Errorf("fsm: decode %s (revision %d.%d): %w", kv.Key, kv.ModRevision.Main, kv.ModRevision.Sub, err)
	}
	if rec.Kind != kind {
		return wal.Record{}, fmt.Errorf("fsm: %s holds a %s record, want %s", kv.Key, rec.Kind, kind)
	}
	return rec, nil
}
