package mvcc

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// maxNextSteps is how many cursor steps List tries before seeking past the
// remaining versions of a key.
const maxNextSteps = 4

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
		kv, found, _, err = versionAt(tx.Bucket([]byte(bucketKV)).Cursor(), key, at)
		if err == nil && !found {
			err = fmt.Errorf("%w: %q at revision %d", ErrKeyNotFound, key, at)
		}
		return err
	})
	return kv, err
}

// versionAt positions c on the newest version of key with Main <= at. It
// returns the version if it is live, and the position of the first version
// after at: either a later version of key or the start of the next key
// (nil at the end of the bucket).
func versionAt(c *bolt.Cursor, key string, at uint64) (KeyValue, bool, []byte, error) {
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
		return KeyValue{}, false, after, nil
	}
	kv, err := decodeKV(k, v)
	if err != nil || kv.Deleted {
		return KeyValue{}, false, after, err
	}
	return kv, true, after, nil
}

// List returns the live keys with the given prefix as of revision rev (0 =
// current), in key order. For each distinct key it seeks to the version at
// rev and then past the key, so the cost does not grow with the number of
// versions per key.
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
		out, err = listAt(tx.Bucket([]byte(bucketKV)).Cursor(), prefix, at)
		return err
	})
	return out, err
}

// listAt collects the live versions at revision at of keys under prefix.
func listAt(c *bolt.Cursor, prefix string, at uint64) ([]KeyValue, error) {
	var out []KeyValue
	k, _ := c.Seek([]byte(prefix))
	for k != nil {
		key, _, ok := splitKVKey(k)
		if !ok {
			return nil, fmt.Errorf("%w: kv key %q", ErrCorrupt, k)
		}
		if !strings.HasPrefix(key, prefix) {
			break
		}
		kv, found, after, err := versionAt(c, key, at)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, kv)
		}
		k = nextKey(c, key, after)
	}
	return out, nil
}

// nextKey returns the first kv key of the key after key. after is where
// versionAt's seek landed (the cursor sits just before it).
func nextKey(c *bolt.Cursor, key string, after []byte) []byte {
	if after == nil || !sameKey(after, key) {
		return after
	}
	// Later versions of key follow: step over a few (the first step lands
	// on after itself), then seek.
	for range maxNextSteps + 1 {
		k, _ := c.Next()
		if k == nil || !sameKey(k, key) {
			return k
		}
	}
	k, _ := c.Seek(kvKeyPastVersions(key))
	return k
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
		before, hadBefore, _, err := versionAt(c, key, from)
		if err != nil {
			return nil, err
		}
		after, hasAfter, _, err := versionAt(c, key, to)
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
