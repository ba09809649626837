package mvcc

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// resolveRev validates rev against the state in tx: 0 means current, above
// current is ErrFutureRevision, below the scheduled compaction is
// ErrCompacted. Reading the state from the same transaction as the data
// makes the check consistent with what the transaction sees.
func resolveRev(tx *bolt.Tx, rev uint64) (uint64, error) {
	st := readMeta(tx.Bucket([]byte(bucketMeta)))
	switch {
	case rev == 0:
		return st.applied, nil
	case rev > st.applied:
		return 0, fmt.Errorf("%w: revision %d (current %d)", ErrFutureRevision, rev, st.applied)
	case rev < st.scheduled:
		return 0, fmt.Errorf("%w: revision %d (compacted %d)", ErrCompacted, rev, st.scheduled)
	}
	return rev, nil
}

// checkCompacted fails a read at revision at once a compaction above it
// has been scheduled: the key index may have dropped versions the read's
// transaction still holds (see index.go). Reads call it after their index
// lookups.
func (s *Store) checkCompacted(at uint64) error {
	if c := s.CompactedRevision(); at < c {
		return fmt.Errorf("%w: revision %d (compacted %d)", ErrCompacted, at, c)
	}
	return nil
}

// reader reads versions rows for one read transaction.
type reader struct {
	s  *Store
	b  *bolt.Bucket
	at uint64
}

func (s *Store) newReader(tx *bolt.Tx, at uint64) reader {
	return reader{s: s, b: tx.Bucket([]byte(bucketVersions)), at: at}
}

// row reads the version ref names. A row the index names but the file
// does not hold was compacted under the read; past a compaction check it
// is corruption.
func (r reader) row(key string, ref verRef) (KeyValue, error) {
	k := putRev(make([]byte, 0, revLen), ref.rev())
	v := r.b.Get(k)
	if v == nil {
		if err := r.s.checkCompacted(r.at); err != nil {
			return KeyValue{}, err
		}
		return KeyValue{}, fmt.Errorf("%w: the key index names %q at %v, which the file does not hold", ErrCorrupt, key, ref.rev())
	}
	return decodeRow(k, v)
}

// versionAt returns key's live version at at, if any.
func (r reader) versionAt(key string, at uint64) (KeyValue, bool, error) {
	ref, ok := r.s.idx.versionAt(key, at)
	if err := r.s.checkCompacted(at); err != nil {
		return KeyValue{}, false, err
	}
	if !ok || ref.tomb() {
		return KeyValue{}, false, nil
	}
	kv, err := r.row(key, ref)
	return kv, err == nil, err
}

// Get returns key as of revision rev (0 = current): the newest version with
// Main <= rev. ErrKeyNotFound if the key is absent or deleted at rev.
func (s *Store) Get(key string, rev uint64) (KeyValue, error) {
	if err := validateKey(key); err != nil {
		return KeyValue{}, err
	}
	var kv KeyValue
	err := s.view(func(tx *bolt.Tx) error {
		at, err := resolveRev(tx, rev)
		if err != nil {
			return err
		}
		var found bool
		kv, found, err = s.newReader(tx, at).versionAt(key, at)
		if err == nil && !found {
			err = fmt.Errorf("%w: %q at revision %d", ErrKeyNotFound, key, at)
		}
		return err
	})
	return kv, err
}

// List returns the live keys with the given prefix as of revision rev (0 =
// current), in key order: the key index gives each key's version at rev,
// and one row is read per key, so the cost does not grow with the number
// of versions per key.
func (s *Store) List(prefix string, rev uint64) ([]KeyValue, error) {
	if len(prefix) > MaxKeyLen || strings.IndexByte(prefix, keySep) >= 0 {
		return nil, fmt.Errorf("%w: prefix %q", ErrInvalidInput, prefix)
	}
	var out []KeyValue
	err := s.view(func(tx *bolt.Tx) error {
		at, err := resolveRev(tx, rev)
		if err != nil {
			return err
		}
		refs := s.idx.liveAt(prefix, at)
		if err := s.checkCompacted(at); err != nil {
			return err
		}
		r := s.newReader(tx, at)
		out = make([]KeyValue, 0, len(refs))
		for _, kr := range refs {
			kv, err := r.row(kr.key, kr.ref)
			if err != nil {
				return err
			}
			out = append(out, kv)
		}
		return nil
	})
	return out, err
}

// History returns every retained version of key, oldest first, tombstones
// included (Deleted set). ErrKeyNotFound if none is retained.
func (s *Store) History(key string) ([]KeyValue, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	var out []KeyValue
	err := s.view(func(tx *bolt.Tx) error {
		applied := readMeta(tx.Bucket([]byte(bucketMeta))).applied
		b := tx.Bucket([]byte(bucketVersions))
		for _, ref := range s.idx.history(key, applied) {
			k := putRev(make([]byte, 0, revLen), ref.rev())
			v := b.Get(k)
			if v == nil {
				continue // compacted since the transaction began
			}
			kv, err := decodeRow(k, v)
			if err != nil {
				return err
			}
			out = append(out, kv)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%w: %q has no retained history", ErrKeyNotFound, key)
	}
	return out, err
}

// Diff returns the keys whose value differs between fromRev and toRev (0 =
// current), in key order: created, deleted, or put with different bytes.
// A key put again with identical bytes is not a change. Both revisions are
// validated like a read; fromRev must not be after toRev.
func (s *Store) Diff(fromRev, toRev uint64) ([]Change, error) {
	var out []Change
	err := s.view(func(tx *bolt.Tx) error {
		from, err := resolveRev(tx, fromRev)
		if err != nil {
			return err
		}
		to, err := resolveRev(tx, toRev)
		if err != nil {
			return err
		}
		if from > to {
			return fmt.Errorf("%w: diff from revision %d after to revision %d", ErrInvalidInput, from, to)
		}
		out, err = s.diffAt(tx, from, to)
		return err
	})
	return out, err
}

// diffAt compares the keys changed in (from, to] (the rows of the versions
// bucket in that range) at both revisions.
func (s *Store) diffAt(tx *bolt.Tx, from, to uint64) ([]Change, error) {
	var keys []string
	seen := make(map[string]struct{})
	c := tx.Bucket([]byte(bucketVersions)).Cursor()
	for k, v := c.Seek(revBytes(Revision{Main: from + 1})); k != nil && parseRev(k).Main <= to; k, v = c.Next() {
		key, ok := rowKey(v)
		if !ok {
			return nil, fmt.Errorf("%w: versions row %x", ErrCorrupt, k)
		}
		if _, ok := seen[string(key)]; !ok {
			seen[string(key)] = struct{}{}
			keys = append(keys, string(key))
		}
	}
	slices.Sort(keys)
	r := s.newReader(tx, from)
	var out []Change
	for _, key := range keys {
		before, hadBefore, err := r.versionAt(key, from)
		if err != nil {
			return nil, err
		}
		after, hasAfter, err := r.versionAt(key, to)
		if err != nil {
			return nil, err
		}
		if hadBefore == hasAfter && (!hadBefore || bytes.Equal(before.Value, after.Value)) {
			continue
		}
		ch := Change{Key: key}
		if hadBefore {
			ch.Before = &before
		}
		if hasAfter {
			ch.After = &after
		}
		out = append(out, ch)
	}
	return out, nil
}
