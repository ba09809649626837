package mvcc

import (
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// appendFillPercent is the page fill of buckets written in key order
// (revision-ordered buckets): splits leave pages 90% full instead of 50%.
const appendFillPercent = 0.9

// Commit applies entries in one bbolt transaction, fsync'd unless
// Options.NoSync or Options.SyncInterval (then durable at the next Sync);
// with Options.CommitInterval it buffers them and the transaction comes
// later (pending.go). Entries with Index <= AppliedIndex() are skipped, so
// replaying already-applied entries is a no-op. The applied index and term
// are written in the same transaction. Entries must have strictly
// increasing Index. On error nothing is written (but for a failure of
// bbolt's own commit after its meta page was written: see takeBack).
//
// Op i of an entry is at revision {Index, i}. A put on a live key bumps its
// Version and keeps its CreateRevision; a put on an absent or deleted key
// starts Version at 1. A delete of an absent key changes nothing (it leaves
// no tombstone).
func (s *Store) Commit(entries []Entry) error {
	err := s.commit(entries)
	s.spillIfDue()
	return err
}

// commit is Commit but for the spill of the resource index.
func (s *Store) commit(entries []Entry) error {
	if err := validateEntries(entries); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	if s.opts.CommitInterval > 0 {
		return s.deferCommit(entries)
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	return s.commitLocked(entries, true)
}

// commitLocked writes entries in one transaction. The caller holds s.mu
// (shared or exclusive) and s.syncMu. notify wakes the waiters on Changed
// (a deferred commit woke them when it took the entries).
func (s *Store) commitLocked(entries []Entry, notify bool) error {
	var c commitTx
	err := s.updateLocked(func(tx *bolt.Tx) error {
		c.err = c.run(tx, s.idx, entries)
		if c.err == nil && s.res.Load().add(c.w.resAdds) >= s.spillLimit() {
			s.spillDue.Store(true)
		}
		return c.err
	}, func(err error) {
		if err != nil && c.w != nil {
			s.takeBack(c.w, c.err == nil)
		}
	})
	if err != nil {
		return err
	}
	if c.applied {
		s.mergeState(c.st, notify)
		if c.st.compactionPending() {
			s.kickCompactor()
		}
	}
	return nil
}

// commitTx is one Commit's transaction: the writer, the meta state it
// advances, whether any entry was new, and the error of run itself (nil
// when only bbolt's commit of the transaction failed).
type commitTx struct {
	w       *writer
	st      metaState
	applied bool
	err     error
}

// run applies the entries not yet applied in tx.
func (c *commitTx) run(tx *bolt.Tx, idx *index, entries []Entry) error {
	c.w = newWriter(tx, idx, arenaHint(entries))
	c.st = readMeta(c.w.meta)
	for i := range entries {
		e := &entries[i]
		if e.Index <= c.st.applied {
			continue
		}
		if err := c.w.apply(e, &c.st); err != nil {
			return fmt.Errorf("mvcc: commit entry %d: %w", e.Index, err)
		}
		c.applied = true
	}
	if !c.applied {
		return nil
	}
	return c.w.writeMeta(c.st)
}

// takeBack puts the key index (and the memory part of the resource index)
// back in step with the file after a failed
// commit. When the transaction itself failed, bbolt wrote nothing and
// undoing the adds is exact. When bbolt's commit of it failed (a page
// write or an fsync), the commit may be visible all the same: bbolt
// writes the meta page before its fsync and reads go through the mmap, so
// the index is rebuilt from what the file holds now. The caller is the
// store's only writer (syncMu); if the file cannot be read, commits fail
// from now on, as after a failed fsync.
func (s *Store) takeBack(w *writer, bboltCommit bool) {
	if bboltCommit {
		err := s.db.View(func(tx *bolt.Tx) error {
			built, err := buildIndex(tx)
			if err == nil {
				s.idx.replace(built)
				err = s.res.Load().rebuild(tx)
			}
			return err
		})
		if err == nil {
			s.log.Warn("commit failed in bbolt; the key index was rebuilt from the file")
			return
		}
		_ = s.failSyncLocked(fmt.Errorf("mvcc: rebuild the key index after a failed commit: %w", err))
	}
	s.idx.rollback(w.undo)
	s.res.Load().rollback(w.resAdds)
}

// validateEntries checks everything that can be checked before writing.
func validateEntries(entries []Entry) error {
	for i := range entries {
		e := &entries[i]
		if i > 0 && e.Index <= entries[i-1].Index {
			return fmt.Errorf("%w: entry index %d follows %d (must increase)", ErrInvalidInput, e.Index, entries[i-1].Index)
		}
		if len(e.Ops) > math.MaxUint32 || len(e.Records) > math.MaxUint32 {
			return fmt.Errorf("%w: entry %d has too many ops or records", ErrInvalidInput, e.Index)
		}
		if e.Encoded != nil && len(e.Encoded) != len(e.Records) {
			return fmt.Errorf("%w: entry %d has %d records and %d encodings", ErrInvalidInput, e.Index, len(e.Records), len(e.Encoded))
		}
		for j := range e.Ops {
			op := &e.Ops[j]
			if op.Type != OpPut && op.Type != OpDelete {
				return fmt.Errorf("%w: entry %d op %d: unknown op type %d", ErrInvalidInput, e.Index, j, op.Type)
			}
			if err := validateKey(op.Key); err != nil {
				return fmt.Errorf("entry %d op %d: %w", e.Index, j, err)
			}
		}
	}
	return nil
}

// writer applies entries inside one read-write transaction.
type writer struct {
	meta, versions, wal, idxRes, idxKind, idxTime *bolt.Bucket
	idx                                           *index
	undo                                          []indexUndo // the versions added to idx
	resAdds                                       []resAdd    // the resource index entries of the records
	mem                                           arena       // keys and values handed to Put
}

// arenaHint is about the bytes a commit of entries puts: each op's
// versions row (its revision key, header, key and value), each record's
// index keys and the meta.
func arenaHint(entries []Entry) int {
	n := 64
	for i := range entries {
		for j := range entries[i].Ops {
			n += revLen + verHeaderLen + len(entries[i].Ops[j].Key) + len(entries[i].Ops[j].Value)
		}
		n += len(entries[i].Records) * (4*revLen + timeLen + 48)
	}
	return n
}

func newWriter(tx *bolt.Tx, idx *index, hint int) *writer {
	b := func(name string) *bolt.Bucket { return tx.Bucket([]byte(name)) }
	w := &writer{
		meta: b(bucketMeta), versions: b(bucketVersions), wal: b(bucketWAL),
		idxRes: b(bucketIdxRes), idxKind: b(bucketIdxKind), idxTime: b(bucketIdxTime), idx: idx,
	}
	for _, bk := range []*bolt.Bucket{w.versions, w.wal, w.idxKind, w.idxTime} {
		bk.FillPercent = appendFillPercent
	}
	w.mem.buf = make([]byte, 0, hint)
	return w
}

// apply writes one entry and advances st.
func (w *writer) apply(e *Entry, st *metaState) error {
	for i := range e.Ops {
		rev := Revision{Main: e.Index, Sub: uint32(i)}
		if err := w.applyOp(&e.Ops[i], rev); err != nil {
			return fmt.Errorf("op %d on %q: %w", i, e.Ops[i].Key, err)
		}
	}
	for i := range e.Records {
		rev := Revision{Main: e.Index, Sub: uint32(i)}
		var enc []byte
		if e.Encoded != nil {
			enc = e.Encoded[i]
		}
		if err := w.putRecord(&e.Records[i], enc, rev); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		st.records++
	}
	if c := min(e.Compact, e.Index); c > st.scheduled {
		st.scheduled = c
	}
	if c := min(e.CompactAudit, e.Index); c > st.audit {
		st.audit = c
	}
	st.applied, st.term = e.Index, e.Term
	return nil
}

// applyOp writes one put or tombstone at rev: one row appended to the
// versions bucket, and the version added to the key index. What the key
// holds now (live or not, its create revision and version) comes from the
// index, which already holds the earlier entries of the batch.
func (w *writer) applyOp(op *Op, rev Revision) error {
	ki := w.idx.lookup(op.Key)
	live := ki != nil && !ki.vers[len(ki.vers)-1].tomb()
	flag, create, version := flagPut, rev, int64(1)
	switch {
	case op.Type == OpDelete && !live:
		return nil // nothing to delete
	case op.Type == OpDelete:
		flag, create, version = flagTombstone, Revision{}, 0
	case live:
		create, version = ki.create, ki.ver+1
	}
	var value []byte
	if flag == flagPut {
		value = op.Value
	}
	k, v := w.mem.rev(rev), w.mem.row(flag, create, version, op.Key, value)
	if err := w.versions.Put(k, v); err != nil {
		return fmt.Errorf("put versions: %w", err)
	}
	w.undo = append(w.undo, w.idx.add(op.Key, ki, refOf(rev, k, v), create, version))
	return nil
}

// putRecord writes an audit record (enc, its encoding; nil: encode r) and
// its index entries.
func (w *writer) putRecord(r *wal.Record, enc []byte, rev Revision) error {
	if enc == nil {
		var err error
		if enc, err = wal.EncodeRecord(nil, r); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
	}
	if err := w.wal.Put(w.mem.rev(rev), enc); err != nil {
		return fmt.Errorf("put wal: %w", err)
	}
	if err := w.putDecision(r); err != nil {
		return err
	}
	for _, id := range indexIDs(w.idxRes, r) {
		w.resAdds = append(w.resAdds, resAdd{id: id, rev: rev})
	}
	if err := w.idxKind.Put(w.mem.kindIndexKey(byte(r.Kind), rev), []byte{}); err != nil {
		return fmt.Errorf("put idx_kind: %w", err)
	}
	if err := w.idxTime.Put(w.mem.timeIndexKey(r.Time, rev), []byte{}); err != nil {
		return fmt.Errorf("put idx_time: %w", err)
	}
	return nil
}

// writeMeta stores the applied index/term, compaction schedule and record
// count.
func (w *writer) writeMeta(st metaState) error {
	for _, m := range [...]struct {
		k string
		v uint64
	}{{metaAppliedIndex, st.applied}, {metaAppliedTerm, st.term}, {metaCompactScheduled, st.scheduled},
		{metaRecordCount, st.records}, {metaAuditScheduled, st.audit}} {
		if err := w.meta.Put([]byte(m.k), w.mem.u64(m.v)); err != nil {
			return fmt.Errorf("put meta %s: %w", m.k, err)
		}
	}
	return nil
}

// putMeta writes 8-byte big-endian values into the meta bucket.
func putMeta(meta *bolt.Bucket, vals map[string]uint64) error {
	for k, v := range vals {
		if err := meta.Put([]byte(k), u64(v)); err != nil {
			return fmt.Errorf("put meta %s: %w", k, err)
		}
	}
	return nil
}

// putDecision remembers the unit a decision is about in idx_res
// (decisionKey → name), so its outcomes are indexed under the name too
// (indexIDs; the resource index itself is resindex.go's).
func (w *writer) putDecision(r *wal.Record) error {
	if r.Kind != wal.KindDecided || r.Name() == "" || r.DecisionID == "" {
		return nil
	}
	if err := w.idxRes.Put(decisionKey(r.DecisionID), []byte(r.Name())); err != nil {
		return fmt.Errorf("put idx_res decision: %w", err)
	}
	return nil
}
