package mvcc

import (
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
	gen     uint64 // file generation the progress refers to
	target  uint64 // scheduled revision being compacted to
	keyFrom string // next key of the index to visit
	chunk   int
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
	var drops []indexDrop
	err := s.updateThen(func(tx *bolt.Tx) error {
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
		drops, finished, err = compactVersions(tx.Bucket([]byte(bucketVersions)), s.idx, p)
		if err == nil && finished {
			st.finished = p.target
			err = putMeta(meta, map[string]uint64{metaCompactFinished: p.target})
		}
		return err
	}, func(err error) {
		if err == nil {
			s.idx.drop(drops)
		}
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

// compactVersions visits the keys of the index from p.keyFrom, up to
// p.chunk keys and versions, and deletes from the versions bucket every
// version with Main <= target but the newest of them, and that one too if
// it is a tombstone (then the key leaves the index unless a later version
// remains). It returns what to drop from the index once the transaction
// has committed, and whether the walk is finished. It runs as the store's
// only writer, so it reads the index without its lock.
func compactVersions(b *bolt.Bucket, idx *index, p *compaction) ([]indexDrop, bool, error) {
	var drops []indexDrop
	visited, done := 0, true
	var err error
	idx.tree.AscendGreaterOrEqual(&keyIndex{key: p.keyFrom}, func(ki *keyIndex) bool {
		if visited >= p.chunk {
			p.keyFrom, done = ki.key, false
			return false
		}
		n := ki.upto(p.target)
		if n > 0 && !ki.vers[n-1].tomb() {
			n-- // the version readers at target see
		}
		for _, ref := range ki.vers[:n] {
			if err = b.Delete(revBytes(ref.rev())); err != nil {
				return false
			}
		}
		if n > 0 {
			drops = append(drops, indexDrop{ki: ki, n: n})
		}
		visited += 1 + n
		return true
	})
	if err != nil {
		return nil, false, fmt.Errorf("delete version: %w", err)
	}
	return drops, done, nil
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
