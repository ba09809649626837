package mvcc

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// spillIfDue writes the memory part of the resource index to idx_res once
// it holds spillAt entries (resindex.go), as the store's only writer, and
// then swaps in an empty memory part. A read that saw the old part keeps
// it (its transaction's idx_res_through says which entries it needs); one
// whose transaction began across the swap reads again (Replay). A failure
// leaves the memory part as it was (still right) and is logged; the next
// commit tries again.
func (s *Store) spillIfDue() {
	if !s.spillDue.Load() {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil || !s.spillDue.Load() {
		return
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	start := time.Now()
	n, err := s.spillLocked()
	if err != nil {
		s.log.Error("writing the memory part of the resource index failed; retried at the next commit", "err", err)
		return
	}
	s.log.Debug("resource index written", "entries", n, "took", time.Since(start))
}

// spillLimit is spillAt, or the tests' override.
func (s *Store) spillLimit() int {
	if n := s.testSpill.Load(); n > 0 {
		return int(n)
	}
	return spillAt
}

// spillLocked is spillIfDue with s.mu and s.syncMu held.
func (s *Store) spillLocked() (int, error) {
	if err := s.flushLocked(); err != nil {
		return 0, err
	}
	adds := s.res.Load().sorted()
	var through uint64
	err := s.updateLocked(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		st := readMeta(meta)
		b := tx.Bucket([]byte(bucketIdxRes))
		for _, a := range adds {
			if a.rev.Main < st.audit {
				continue // its record is dropped, or being dropped
			}
			if err := b.Put(resIndexKey(a.id, a.rev), []byte{}); err != nil {
				return fmt.Errorf("put idx_res: %w", err)
			}
		}
		through = st.applied
		return meta.Put([]byte(metaResThrough), u64(through))
	}, nil)
	if err != nil {
		return 0, fmt.Errorf("mvcc: write the resource index: %w", err)
	}
	s.res.Store(newResIndex(through))
	s.spillDue.Store(false)
	return len(adds), nil
}
