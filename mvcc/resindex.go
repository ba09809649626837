package mvcc

import (
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// The resource index of the audit log (format 3). idx_res maps resource
// id + 0x00 + REV for every record about the resource (and "=" + name for
// every record about a unit of the configuration). Its keys are random:
// written at once, every record dirtied another leaf of it, four fifths of
// what a commit cost. So idx_res holds the records up to the revision the
// meta key idx_res_through names, and the records after it are indexed in
// memory (resIndex), rebuilt at Open from the audit log after that
// revision. When the memory part reaches spillAt entries, one transaction
// writes it to idx_res in key order and moves idx_res_through up (spill):
// thousands of entries then share each leaf. The decision → unit mapping
// (idx_res "@" + decision id) is still written with its record: outcomes
// look it up.

// spillAt is the number of memory entries that makes the next commit
// write them to idx_res.
const spillAt = 32768

// resAdd is one index entry: a record at rev is about id.
type resAdd struct {
	id  string
	rev Revision
}

// resIndex is the memory part of the resource index: for each idx_res
// id, the revisions after through, ascending. Safe for concurrent use.
type resIndex struct {
	mu      sync.RWMutex
	revs    map[string][]Revision
	n       int
	through uint64 // records at or below this revision are in idx_res
}

func newResIndex(through uint64) *resIndex {
	return &resIndex{revs: make(map[string][]Revision), through: through}
}

// add appends entries (revisions after every one it holds) and returns
// how many it holds.
func (x *resIndex) add(adds []resAdd) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, a := range adds {
		revs := x.revs[a.id]
		if len(revs) > 0 && revs[len(revs)-1] == a.rev {
			continue
		}
		x.revs[a.id] = append(revs, a.rev)
		x.n++
	}
	return x.n
}

// rollback removes entries add appended (the commit that made them
// failed), newest first.
func (x *resIndex) rollback(adds []resAdd) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := len(adds) - 1; i >= 0; i-- {
		revs := x.revs[adds[i].id]
		if len(revs) == 0 || revs[len(revs)-1] != adds[i].rev {
			continue
		}
		if revs = revs[:len(revs)-1]; len(revs) == 0 {
			delete(x.revs, adds[i].id)
		} else {
			x.revs[adds[i].id] = revs
		}
		x.n--
	}
}

// after returns id's revisions after after, with Main in [from, upTo]
// (see resLookup).
func (x *resIndex) after(id string, after Revision, from, upTo uint64) []Revision {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Revision
	for _, rev := range x.revs[id] {
		if after.Less(rev) && rev.Main >= from && rev.Main <= upTo {
			out = append(out, rev)
		}
	}
	return out
}

// size returns the number of entries.
func (x *resIndex) size() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// dropBelow drops the entries of records below revision main (the audit
// compaction dropped them).
func (x *resIndex) dropBelow(main uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, revs := range x.revs {
		i := 0
		for i < len(revs) && revs[i].Main < main {
			i++
		}
		x.n -= i
		if i == len(revs) {
			delete(x.revs, id)
		} else if i > 0 {
			x.revs[id] = slices.Clone(revs[i:])
		}
	}
}

// rebuild replaces the entries with those tx holds (after a failed
// commit: readers hold s.mu shared, so the index is replaced in place).
func (x *resIndex) rebuild(tx *bolt.Tx) error {
	built, err := buildResIndex(tx)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.revs, x.n, x.through = built.revs, built.n, built.through
	return nil
}

// sorted returns every entry in idx_res key order.
func (x *resIndex) sorted() []resAdd {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ids := make([]string, 0, len(x.revs))
	for id := range x.revs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]resAdd, 0, x.n)
	for _, id := range ids {
		for _, rev := range x.revs[id] {
			out = append(out, resAdd{id: id, rev: rev})
		}
	}
	return out
}

// indexIDs are the idx_res ids a record is indexed under: the resources
// it is about, and "=" + the unit it is about (see putName).
func indexIDs(idxRes *bolt.Bucket, r *wal.Record) []string {
	ids := slices.Clip(r.ResourceIDs())
	if name := indexedName(idxRes, r); name != "" {
		ids = append(ids, nameIndexID(name))
	}
	return ids
}

// buildResIndex indexes in memory the records after idx_res_through.
func buildResIndex(tx *bolt.Tx) (*resIndex, error) {
	through := readU64(tx.Bucket([]byte(bucketMeta)), metaResThrough)
	x := newResIndex(through)
	idxRes := tx.Bucket([]byte(bucketIdxRes))
	c := tx.Bucket([]byte(bucketWAL)).Cursor()
	var adds []resAdd
	for k, v := c.Seek(revBytes(Revision{Main: through + 1})); k != nil; k, v = c.Next() {
		r, err := wal.DecodeRecord(v)
		if err != nil {
			return nil, fmt.Errorf("%w: audit record at %v: %w", ErrCorrupt, parseRev(k), err)
		}
		for _, id := range indexIDs(idxRes, &r) {
			adds = append(adds, resAdd{id: id, rev: parseRev(k)})
		}
	}
	x.add(adds)
	return x, nil
}
