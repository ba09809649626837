package mvcc

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// Audit-log retention. The audit log (the wal bucket and its three
// indexes) is compacted separately from the key history, and only when a
// compaction record asks for it (Entry.CompactAudit): records whose
// revision is below the audit compaction revision are dropped with their
// index entries. Scheduling is part of the Commit that carries the
// compaction (meta audit_scheduled), so every node drops the same records;
// the dropping itself runs in the background compactor in bounded
// transactions (meta audit_finished), and resumes after a restart.
//
// Example, audit compaction to 7 (records at 3, 5, 7, 9):
//
//	before: wal 3 5 7 9   idx_kind k/3 k/5 k/7 k/9   record_count 4
//	after:  wal 7 9       idx_kind k/7 k/9           record_count 2
//
// The remembered decision → unit mapping (idx_res "@decision") is kept:
// an outcome recorded after the retention point may still name it.

// AuditCompactedRevision returns the audit compaction revision: audit
// records below it are dropped (or being dropped). 0 when the audit log is
// whole.
func (s *Store) AuditCompactedRevision() uint64 {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.state.audit
}

// runAuditCompaction drops audit records in chunks until the finished
// audit revision catches up with the scheduled one.
func (s *Store) runAuditCompaction() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	for {
		if err := s.errIfClosed(); err != nil {
			return err
		}
		done, err := s.auditChunk(s.chunkSize())
		if err != nil || done {
			return err
		}
	}
}

// auditChunk runs one bounded transaction of audit compaction. It reports
// true when the compaction is finished.
func (s *Store) auditChunk(chunk int) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return false, ErrClosed
	}
	var st metaState
	finished := false
	err := s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		st = readMeta(meta)
		if st.auditDone >= st.audit {
			finished = true
			return nil
		}
		n, more, err := dropRecords(tx, st.audit, chunk)
		if err != nil {
			return err
		}
		st.records -= min(uint64(n), st.records)
		vals := map[string]uint64{metaRecordCount: st.records}
		if !more {
			st.auditDone, finished = st.audit, true
			vals[metaAuditFinished] = st.audit
		}
		return putMeta(meta, vals)
	})
	if err != nil {
		return false, fmt.Errorf("mvcc: compact audit log to %d: %w", st.audit, err)
	}
	if finished {
		s.res.Load().dropBelow(st.audit)
		s.mergeState(st, false)
		s.log.Info("audit log compaction finished", "revision", st.auditDone)
	}
	return finished, nil
}

// dropRecords deletes up to chunk audit records below target, oldest
// first, with their index entries. It reports how many it deleted and
// whether records below target remain.
func dropRecords(tx *bolt.Tx, target uint64, chunk int) (int, bool, error) {
	ix := newRecordIndexes(tx)
	c := ix.wal.Cursor()
	var del [][]byte
	k, v := c.First()
	for ; k != nil && len(del) < chunk && parseRev(k).Main < target; k, v = c.Next() {
		r, err := wal.DecodeRecord(v)
		if err != nil {
			return 0, false, fmt.Errorf("%w: audit record at %d: %w", ErrCorrupt, parseRev(k).Main, err)
		}
		ix.collect(&r, parseRev(k))
		del = append(del, bytes.Clone(k))
	}
	more := k != nil && parseRev(k).Main < target
	if err := deleteAll(ix.wal, del); err != nil {
		return 0, false, err
	}
	return len(del), more, ix.deleteCollected()
}

// recordIndexes collects the index entries of audit records to delete.
type recordIndexes struct {
	wal, idxRes, idxKind, idxTime *bolt.Bucket
	res, kind, time               [][]byte
}

func newRecordIndexes(tx *bolt.Tx) *recordIndexes {
	b := func(name string) *bolt.Bucket { return tx.Bucket([]byte(name)) }
	return &recordIndexes{wal: b(bucketWAL), idxRes: b(bucketIdxRes), idxKind: b(bucketIdxKind), idxTime: b(bucketIdxTime)}
}

// collect notes the index entries putRecord wrote for r at rev.
func (ix *recordIndexes) collect(r *wal.Record, rev Revision) {
	for _, id := range indexIDs(ix.idxRes, r) {
		ix.res = append(ix.res, resIndexKey(id, rev)) // absent (a no-op) for a record after idx_res_through
	}
	ix.kind = append(ix.kind, kindIndexKey(byte(r.Kind), rev))
	ix.time = append(ix.time, timeIndexKey(r.Time, rev))
}

// indexedName is the unit name putName indexed r under ("" for none).
func indexedName(idxRes *bolt.Bucket, r *wal.Record) string {
	name := r.Name()
	if name == "" && r.DecisionID != "" && r.Kind != wal.KindObserved {
		name = string(idxRes.Get(decisionKey(r.DecisionID)))
	}
	return name
}

// deleteCollected deletes the collected index entries.
func (ix *recordIndexes) deleteCollected() error {
	for _, d := range []struct {
		b    *bolt.Bucket
		keys [][]byte
	}{{ix.idxRes, ix.res}, {ix.idxKind, ix.kind}, {ix.idxTime, ix.time}} {
		if err := deleteAll(d.b, d.keys); err != nil {
			return err
		}
	}
	return nil
}
