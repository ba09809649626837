package mvcc

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// Usage counts what one side of a compaction holds. Bytes are the keys
// and values the store keeps for it (kv, keys and revs entries for key
// history; the record and its idx_res, idx_kind and idx_time entries for
// the audit log), before bbolt's page overhead.
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
		if err := planKV(tx, p.Revision, &p); err != nil {
			return err
		}
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

// kvPlanner walks the key history in order, deciding per version what
// compactKV would do with it.
type kvPlanner struct {
	target      uint64
	p           *CompactionPlan
	cur         string
	pending     int64 // bytes of the newest version <= target of cur (-1: none)
	pendingTomb bool
	keptAny     bool // cur keeps a version
}

// planKV fills the key-history side of p for a compaction to target.
func planKV(tx *bolt.Tx, target uint64, p *CompactionPlan) error {
	kp := kvPlanner{target: target, p: p, pending: -1}
	c := tx.Bucket([]byte(bucketKV)).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		key, rev, ok := splitKVKey(k)
		if !ok || len(v) == 0 {
			return fmt.Errorf("%w: kv entry %q", ErrCorrupt, k)
		}
		if key != kp.cur {
			kp.finishKey()
			kp.cur, kp.keptAny = key, false
		}
		size := int64(len(k)+len(v)) + revLen + int64(len(key)) // kv entry and its revs entry
		if rev.Main > target {
			kp.flushPending()
			kp.keep(size)
			continue
		}
		if kp.pending >= 0 {
			kp.drop(kp.pending)
		}
		kp.pending, kp.pendingTomb = size, v[0] == flagTombstone
	}
	kp.finishKey()
	return nil
}

// flushPending settles the newest version <= target once a later version
// of the same key is seen: a tombstone goes, a put stays.
func (kp *kvPlanner) flushPending() {
	switch {
	case kp.pending < 0:
	case kp.pendingTomb:
		kp.drop(kp.pending)
	default:
		kp.keep(kp.pending)
	}
	kp.pending = -1
}

// finishKey settles the last key visited: with no version left, its key
// directory entry goes too.
func (kp *kvPlanner) finishKey() {
	if kp.cur == "" {
		return
	}
	kp.flushPending()
	if kp.keptAny {
		kp.p.Kept.Keys++
		kp.p.Kept.KVBytes += int64(len(kp.cur))
	} else {
		kp.p.Dropped.Keys++
		kp.p.Dropped.KVBytes += int64(len(kp.cur))
	}
}

func (kp *kvPlanner) keep(size int64) {
	kp.keptAny = true
	kp.p.Kept.Versions++
	kp.p.Kept.KVBytes += size
}

func (kp *kvPlanner) drop(size int64) {
	kp.p.Dropped.Versions++
	kp.p.Dropped.KVBytes += size
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
