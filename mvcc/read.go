package mvcc

import (
	"bytes"
	"fmt"
	"math"
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
		kv, found, err = versionAt(tx.Bucket([]byte(bucketKV)).Cursor(), key, at)
		if err == nil && !found {
			err = fmt.Errorf("%w: %q at revision %d", ErrKeyNotFound, key, at)
		}
		return err
	})
	return kv, err
}

// versionAt returns the newest version of key with Main <= at, if it is
// live: one seek to key+0x00+(at+1) and one step back.
func versionAt(c *bolt.Cursor, key string, at uint64) (KeyValue, bool, error) {
	var after []byte
	if at == math.MaxUint64 {
		after, _ = c.Seek(kvKeyPastVersions(key))
	} else {
		after, _ = c.Seek(kvKey(key, Revision{Main: at + 1}))
	}
	var k, v []byte
	if after == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !sameKey(k, key) {
		return KeyValue{}, false, nil
	}
	kv, err := decodeKV(k, v)
	if err != nil || kv.Deleted {
		return KeyValue{}, false, err
	}
	return kv, true, nil
}

// List returns the live keys with the given prefix as of revision rev (0 =
// current), in key order. It walks the key directory under prefix and
// seeks once per key to its version at rev, so the cost does not grow with
// the number of versions per key.
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
		out, err = listAt(tx, prefix, at)
		return err
	})
	return out, err
}

// listAt collects the live versions at revision at of keys under prefix:
// it walks the key directory (one entry per key, densely packed) and seeks
// once per key into kv.
func listAt(tx *bolt.Tx, prefix string, at uint64) ([]KeyValue, error) {
	var out []KeyValue
	c := tx.Bucket([]byte(bucketKV)).Cursor()
	kc := tx.Bucket([]byte(bucketKeys)).Cursor()
	for k, _ := kc.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = kc.Next() {
		kv, found, err := versionAt(c, string(k), at)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, kv)
		}
	}
	return out, nil
}

// History returns every retained version of key, oldest first, tombstones
// included (Deleted set). ErrKeyNotFound if none is retained.
func (s *Store) History(key string) ([]KeyValue, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	var out []KeyValue
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketKV)).Cursor()
		for k, v := c.Seek(kvKey(key, Revision{})); k != nil && sameKey(k, key); k, v = c.Next() {
			kv, err := decodeKV(k, v)
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
		out, err = diffAt(tx, from, to)
		return err
	})
	return out, err
}

// diffAt compares the keys changed in (from, to] (found through the revs
// bucket) at both revisions.
func diffAt(tx *bolt.Tx, from, to uint64) ([]Change, error) {
	var keys []string
	seen := make(map[string]struct{})
	rc := tx.Bucket([]byte(bucketRevs)).Cursor()
	for k, v := rc.Seek(revBytes(Revision{Main: from + 1})); k != nil && parseRev(k).Main <= to; k, v = rc.Next() {
		if _, ok := seen[string(v)]; !ok {
			seen[string(v)] = struct{}{}
			keys = append(keys, string(v))
		}
	}
	slices.Sort(keys)
	c := tx.Bucket([]byte(bucketKV)).Cursor()
	var out []Change
	for _, key := range keys {
		before, hadBefore, err := versionAt(c, key, from)
		if err != nil {
			return nil, err
		}
		after, hasAfter, err := versionAt(c, key, to)
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
