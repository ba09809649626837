package mvcc

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// Usage counts what one side of a compaction holds. Bytes are the keys
// and values the store keeps for it (the versions rows for key history;
// the record and its idx_res, idx_kind and idx_time entries for the audit
// log), before bbolt's page overhead and the key index's memory.
type Usage struct {
	Keys       int   `json:"keys"`     // keys with at least one version (dropped: keys left with none)
	Versions   int   `json:"versions"` // key versions, tombstones included
	KVBytes    int64 `json:"kv_bytes"`
	Records    int   `json:"records"` // audit records
	AuditBytes int64 `json:"audit_bytes"`
}

// Bytes is the sum of the key-history and audit-log bytes.
func (u Usage) Bytes() int64 { return u.KVBytes + u.AuditBytes }

// CompactionPlan is what a compaction to (Revision, Audit) would drop and
// keep, computed on one read transaction without changing anything.
type CompactionPlan struct {
	Current        uint64 `json:"current"`         // the store's revision
	Compacted      uint64 `json:"compacted"`       // key history readable from here, before
	AuditCompacted uint64 `json:"audit_compacted"` // audit records kept from here, before
	Revision       uint64 `json:"revision"`        // key history readable from here, after
	Audit          uint64 `json:"audit"`           // audit records kept from here, after (0: whole)
	Dropped        Usage  `json:"dropped"`
	Kept           Usage  `json:"kept"`
	// OldestKept is the time of the oldest audit record kept (zero when
	// none is left).
	OldestKept time.Time `json:"oldest_kept"`
}

// PlanCompaction says what compacting key history below rev (0: no
// further) and audit records below audit (0: no further) would drop. It validates like Compact:
// a revision past the current one is ErrFutureRevision, one below the
// point already compacted is ErrCompacted (equal: nothing more to drop).
// The cost is one scan of the key history and of the audit records that
// would go.
func (s *Store) PlanCompaction(rev, audit uint64) (CompactionPlan, error) {
	var p CompactionPlan
	err := s.view(func(tx *bolt.Tx) error {
		st := readMeta(tx.Bucket([]byte(bucketMeta)))
		p = CompactionPlan{Current: st.applied, Compacted: st.scheduled, AuditCompacted: st.audit,
			Revision: max(rev, st.scheduled), Audit: max(audit, st.audit)}
		if rev > 0 {
			if err := checkTarget("compact", rev, st.applied, st.scheduled); err != nil {
				return err
			}
		}
		if audit > 0 {
			if err := checkTarget("compact the audit log", audit, st.applied, st.audit); err != nil {
				return err
			}
		}
		s.planKV(p.Revision, st.applied, &p)
		return planAudit(tx, p.Audit, st.records, &p)
	})
	if err != nil {
		return CompactionPlan{}, fmt.Errorf("mvcc: plan compaction: %w", err)
	}
	return p, nil
}

// checkTarget validates a compaction target against the current revision
// and the point already compacted.
func checkTarget(what string, rev, current, compacted uint64) error {
	switch {
	case rev > current:
		return fmt.Errorf("%w: %s to %d (current %d)", ErrFutureRevision, what, rev, current)
	case rev < compacted:
		return fmt.Errorf("%w: %s to %d (compacted %d)", ErrCompacted, what, rev, compacted)
	}
	return nil
}

// planKV fills the key-history side of p for a compaction to target,
// from the key index: per key, the versions with Main <= target but the
// newest of them go, and that one too if it is a tombstone; a key left
// with no version goes. Versions committed after the plan's transaction
// began (Main > applied) are not counted.
func (s *Store) planKV(target, applied uint64, p *CompactionPlan) {
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	s.idx.tree.Ascend(func(ki *keyIndex) bool {
		vers := ki.vers[:ki.upto(applied)]
		if len(vers) == 0 {
			return true
		}
		n := ki.upto(target)
		if n > 0 && !vers[n-1].tomb() {
			n--
		}
		for i, ref := range vers {
			u := &p.Kept
			if i < n {
				u = &p.Dropped
			}
			u.Versions++
			u.KVBytes += ref.rowBytes()
		}
		if n == len(vers) {
			p.Dropped.Keys++
		} else {
			p.Kept.Keys++
		}
		return true
	})
}

// planAudit fills the audit side of p: records below target go (all are
// kept when target is 0), counted one by one; the kept ones are counted
// from the record total and their share of the audit buckets.
func planAudit(tx *bolt.Tx, target, total uint64, p *CompactionPlan) error {
	ix := newRecordIndexes(tx)
	c := ix.wal.Cursor()
	k, v := c.First()
	for ; k != nil && parseRev(k).Main < target; k, v = c.Next() {
		r, err := wal.DecodeRecord(v)
		if err != nil {
			return fmt.Errorf("%w: audit record at %d: %w", ErrCorrupt, parseRev(k).Main, err)
		}
		p.Dropped.Records++
		p.Dropped.AuditBytes += recordBytes(ix.idxRes, &r, k, v)
	}
	if k != nil {
		if r, err := wal.DecodeRecord(v); err == nil {
			p.OldestKept = r.Time
		}
	}
	p.Kept.Records = int(total) - p.Dropped.Records
	p.Kept.AuditBytes = auditBytes(tx) - p.Dropped.AuditBytes
	return nil
}

// recordBytes is what one audit record holds: its entry and its index
// entries (resource ids, unit name, kind, time).
func recordBytes(idxRes *bolt.Bucket, r *wal.Record, k, v []byte) int64 {
	n := int64(len(k)+len(v)) + 2*(1+revLen) + timeLen
	for _, id := range r.ResourceIDs() {
		n += int64(len(id) + 1 + revLen)
	}
	if name := indexedName(idxRes, r); name != "" {
		n += int64(len(nameIndexID(name)) + 1 + revLen)
	}
	return n
}

// auditBytes sums the keys and values of the audit buckets.
func auditBytes(tx *bolt.Tx) int64 {
	var n int64
	for _, name := range []string{bucketWAL, bucketIdxRes, bucketIdxKind, bucketIdxTime} {
		_ = tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
			n += int64(len(k) + len(v))
			return nil
		})
	}
	return n
}
