package mvcc

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// defaultChunk bounds the entries one compaction transaction visits, so a
// compaction never holds the writer lock for long and commits interleave.
const defaultChunk = 10000

// Compact schedules compaction of the key-value history below rev and
// waits until it is done. Scheduling (phase 1) is one transaction that
// records the revision in meta: from then on reads below rev fail with
// ErrCompacted. Phase 2 removes, in bounded transactions, every version
// older than each key's newest version at or below rev, and that version
// too if it is a tombstone. If the store is closed before phase 2 ends, Open
// resumes it. The audit log is never compacted.
//
// rev above the current revision is ErrFutureRevision; below the scheduled
// compaction revision is ErrCompacted; equal to it only waits for phase 2.
func (s *Store) Compact(rev uint64) error {
	if err := s.scheduleCompaction(rev); err != nil {
		return err
	}
	return s.runCompaction()
}

// scheduleCompaction is phase 1.
func (s *Store) scheduleCompaction(rev uint64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	var st metaState
	err := s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		st = readMeta(meta)
		switch {
		case rev > st.applied:
			return fmt.Errorf("%w: compact to %d (current %d)", ErrFutureRevision, rev, st.applied)
		case rev < st.scheduled:
			return fmt.Errorf("%w: compact to %d (compacted %d)", ErrCompacted, rev, st.scheduled)
		case rev == st.scheduled:
			return nil
		}
		st.scheduled = rev
		return putMeta(meta, map[string]uint64{metaCompactScheduled: rev})
	})
	if err != nil {
		return err
	}
	s.mergeState(st, false)
	return nil
}

// kickCompactor wakes the background compactor without blocking.
func (s *Store) kickCompactor() {
	select {
	case s.compactKick <- struct{}{}:
	default:
	}
}

// compactor runs phase 2 of compactions scheduled by Commit or found
// unfinished by Open or Restore, until Close.
func (s *Store) compactor() {
	defer close(s.workerDone)
	for {
		select {
		case <-s.done:
			return
		case <-s.compactKick:
			err := s.runCompaction()
			if err == nil {
				err = s.runAuditCompaction()
			}
			if err != nil && !errors.Is(err, ErrClosed) {
				s.log.Error("compaction failed; retried on the next commit or open", "err", err)
			}
		}
	}
}

// compaction is the progress of one phase-2 run.
type compaction struct {
	gen    uint64 // file generation the progress refers to
	target uint64 // scheduled revision being compacted to
	kvFrom []byte // next kv key to visit
	kvDone bool   // kv bucket finished; revs bucket in progress
	chunk  int
}

// runCompaction is phase 2: it runs chunks until the finished revision
// catches up with the scheduled one.
func (s *Store) runCompaction() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	p := &compaction{chunk: s.chunkSize()}
	for {
		if err := s.errIfClosed(); err != nil {
			return err
		}
		done, err := s.compactChunk(p)
		if err != nil || done {
			return err
		}
	}
}

// chunkSize returns the compaction chunk (overridable by tests).
func (s *Store) chunkSize() int {
	if n := s.testChunk.Load(); n > 0 {
		return int(max(n, 2)) // a chunk must get past the kept version
	}
	return defaultChunk
}

// compactChunk runs one bounded transaction of phase 2. It reports true
// when the compaction is finished.
func (s *Store) compactChunk(p *compaction) (bool, error) {
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
		if st.finished >= st.scheduled {
			finished = true
			return nil
		}
		if p.gen != s.gen || p.target != st.scheduled {
			*p = compaction{gen: s.gen, target: st.scheduled, chunk: p.chunk}
		}
		var err error
		if !p.kvDone {
			err = compactKV(tx, p)
		} else if finished, err = compactRevs(tx.Bucket([]byte(bucketRevs)), p); finished {
			st.finished = p.target
			err = putMeta(meta, map[string]uint64{metaCompactFinished: p.target})
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mvcc: compact to %d: %w", p.target, err)
	}
	if finished {
		s.mergeState(st, false)
		s.log.Info("compaction finished", "revision", st.finished)
	}
	return finished, nil
}

// kvCompactor is the state of one compactKV chunk.
type kvCompactor struct {
	del, gone   [][]byte // kv entries to delete; keys left with no version
	cur         string   // key being visited
	pending     []byte   // newest version <= target of cur seen so far
	pendingTomb bool
}

// finishKey settles cur once its versions <= target are all seen: the
// newest of them goes if it is a tombstone, and with it the key's directory
// entry unless a version above target remains.
func (kc *kvCompactor) finishKey(hasLater bool) {
	if kc.pending != nil && kc.pendingTomb {
		kc.del = append(kc.del, kc.pending)
		if !hasLater {
			kc.gone = append(kc.gone, []byte(kc.cur))
		}
	}
	kc.pending = nil
}

// compactKV visits up to p.chunk kv entries from p.kvFrom. For each key it
// keeps the newest version with Main <= target unless it is a tombstone,
// and deletes the older ones. Versions above target are skipped by seeking
// past the key.
func compactKV(tx *bolt.Tx, p *compaction) error {
	b := tx.Bucket([]byte(bucketKV))
	c := b.Cursor()
	var kc kvCompactor
	var k, v []byte
	if p.kvFrom == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(p.kvFrom)
	}
	for visited := 0; k != nil && visited < p.chunk; visited++ {
		key, rev, ok := splitKVKey(k)
		if !ok || len(v) == 0 {
			return fmt.Errorf("%w: kv entry %q", ErrCorrupt, k)
		}
		if key != kc.cur {
			kc.finishKey(false) // reached by Next: cur had nothing above target
			kc.cur = key
		}
		if rev.Main > p.target {
			kc.finishKey(true)
			k, v = c.Seek(kvKeyPastVersions(key))
			continue
		}
		if kc.pending != nil {
			kc.del = append(kc.del, kc.pending)
		}
		kc.pending, kc.pendingTomb = bytes.Clone(k), v[0] == flagTombstone
		k, v = c.Next()
	}
	if k == nil {
		kc.finishKey(false)
		p.kvDone = true
	} else if key, _, _ := splitKVKey(k); key == kc.cur && kc.pending != nil {
		p.kvFrom = kc.pending // resume on the kept version: it may not be the last
	} else {
		kc.finishKey(false)
		p.kvFrom = bytes.Clone(k)
	}
	if err := deleteAll(b, kc.del); err != nil {
		return err
	}
	return deleteAll(tx.Bucket([]byte(bucketKeys)), kc.gone)
}

// compactRevs deletes up to p.chunk revs entries with Main <= target and
// reports whether none is left.
func compactRevs(b *bolt.Bucket, p *compaction) (bool, error) {
	c := b.Cursor()
	var del [][]byte
	k, _ := c.First()
	for ; k != nil && len(del) < p.chunk && parseRev(k).Main <= p.target; k, _ = c.Next() {
		del = append(del, bytes.Clone(k))
	}
	done := k == nil || parseRev(k).Main > p.target
	return done, deleteAll(b, del)
}

// deleteAll deletes keys from b.
func deleteAll(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("delete %q: %w", k, err)
		}
	}
	return nil
}
