package mvcc

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/btree"
	bolt "go.etcd.io/bbolt"
)

// The key index (format 2): the versions bucket is keyed by revision, so
// a commit appends to its last pages instead of dirtying the page holding
// each key's history; which revisions hold a key lives here, in memory,
// as in etcd's treeIndex. It is built from the versions bucket at Open and
// Restore, grown by Commit and shrunk by compaction.
//
// The history of one key in the index and on disk:
//
//	index  "resources/i-1" → {3,0} put, {7,1} put, {9,0} tombstone, {12,0} put
//	bucket versions        → {3,0} → put  create {3,0}  version 1  "resources/i-1" A
//	                         {7,1} → put  create {3,0}  version 2  "resources/i-1" B
//	                         {9,0} → tombstone                     "resources/i-1"
//	                         {12,0}→ put  create {12,0} version 1  "resources/i-1" C
//
// Get(key, 8) finds {7,1} in the index (the newest version with Main <= 8)
// and reads that one row. Memory: 16 bytes per version (verRef) plus about
// 100 bytes and the key per key (keyIndex, its B-tree slot, slice growth).
//
// Concurrency: one writer at a time (Commit and compaction chunks hold the
// store's syncMu), which reads the index without the lock and changes it
// under mu; readers hold mu shared. A commit adds its versions before
// bbolt commits them: they are above every reader's revision until then
// (a reader validates against the meta of its own transaction), and are
// taken out again if the commit fails. Compaction drops versions after its
// transaction commits; a reader whose revision is below the compaction
// checks that again after its lookups (Store.checkCompacted).

// indexDegree is the B-tree degree (etcd's treeIndex uses 32).
const indexDegree = 32

// tombBit marks a tombstone in verRef.size.
const tombBit = 1 << 31

// verRef is one version of a key in the index.
type verRef struct {
	main uint64
	sub  uint32
	size uint32 // bytes of its row (key and value) in the versions bucket; tombBit: a tombstone
}

func (v verRef) rev() Revision   { return Revision{Main: v.main, Sub: v.sub} }
func (v verRef) tomb() bool      { return v.size&tombBit != 0 }
func (v verRef) rowBytes() int64 { return int64(v.size &^ tombBit) }

// keyIndex is every retained version of one key, oldest first (never
// empty while in the index), with the create revision and version of the
// newest (meaningful when it is a put).
type keyIndex struct {
	key    string
	vers   []verRef
	create Revision
	ver    int64
}

// upto returns how many versions have Main <= at.
func (ki *keyIndex) upto(at uint64) int {
	return sort.Search(len(ki.vers), func(i int) bool { return ki.vers[i].main > at })
}

// index is the key → versions index.
type index struct {
	mu       sync.RWMutex
	tree     *btree.BTreeG[*keyIndex]
	versions int
}

func newIndex() *index {
	return &index{tree: btree.NewG(indexDegree, func(a, b *keyIndex) bool { return a.key < b.key })}
}

// keyRef is a key and one of its versions.
type keyRef struct {
	key string
	ref verRef
}

// lookup returns key's entry or nil. Callers hold mu or are the writer.
func (ix *index) lookup(key string) *keyIndex {
	ki, _ := ix.tree.Get(&keyIndex{key: key})
	return ki
}

// versionAt returns key's newest version with Main <= at, if any.
func (ix *index) versionAt(key string, at uint64) (verRef, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ki := ix.lookup(key)
	if ki == nil {
		return verRef{}, false
	}
	n := ki.upto(at)
	if n == 0 {
		return verRef{}, false
	}
	return ki.vers[n-1], true
}

// liveAt returns the keys under prefix that are live at at, in key order,
// with their version at at.
func (ix *index) liveAt(prefix string, at uint64) []keyRef {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []keyRef
	ix.tree.AscendGreaterOrEqual(&keyIndex{key: prefix}, func(ki *keyIndex) bool {
		if !strings.HasPrefix(ki.key, prefix) {
			return false
		}
		if n := ki.upto(at); n > 0 && !ki.vers[n-1].tomb() {
			out = append(out, keyRef{key: ki.key, ref: ki.vers[n-1]})
		}
		return true
	})
	return out
}

// history returns key's versions with Main <= at.
func (ix *index) history(key string, at uint64) []verRef {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ki := ix.lookup(key)
	if ki == nil {
		return nil
	}
	return slices.Clone(ki.vers[:ki.upto(at)])
}

// counts returns the number of keys and versions.
func (ix *index) counts() (keys, versions int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.tree.Len(), ix.versions
}

// indexUndo takes back one add.
type indexUndo struct {
	ki      *keyIndex
	created bool
	create  Revision
	ver     int64
}

// add appends a version to key, whose entry is ki (nil: a new key), and
// returns how to take it back.
func (ix *index) add(key string, ki *keyIndex, ref verRef, create Revision, ver int64) indexUndo {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	u := indexUndo{ki: ki}
	if ki == nil {
		ki = &keyIndex{key: key}
		ix.tree.ReplaceOrInsert(ki)
		u = indexUndo{ki: ki, created: true}
	} else {
		u.create, u.ver = ki.create, ki.ver
	}
	ki.vers = append(ki.vers, ref)
	ki.create, ki.ver = create, ver
	ix.versions++
	return u
}

// rollback takes back adds, newest first.
func (ix *index) rollback(undo []indexUndo) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := len(undo) - 1; i >= 0; i-- {
		u := undo[i]
		u.ki.vers = u.ki.vers[:len(u.ki.vers)-1]
		ix.versions--
		if u.created {
			ix.tree.Delete(u.ki)
		} else {
			u.ki.create, u.ki.ver = u.create, u.ver
		}
	}
}

// replace makes ix hold what from holds (from is not used again).
func (ix *index) replace(from *index) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.tree, ix.versions = from.tree, from.versions
}

// indexDrop is the oldest n versions of a key, removed by compaction.
type indexDrop struct {
	ki *keyIndex
	n  int
}

// drop removes compacted versions; a key left with none leaves the index.
func (ix *index) drop(drops []indexDrop) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, d := range drops {
		d.ki.vers = slices.Clone(d.ki.vers[d.n:])
		ix.versions -= d.n
		if len(d.ki.vers) == 0 {
			ix.tree.Delete(d.ki)
		}
	}
}

// buildIndex reads every row of the versions bucket, in revision order.
// The map finds a key without allocating; the tree is filled once, in key
// order.
func buildIndex(tx *bolt.Tx) (*index, error) {
	keys := make(map[string]*keyIndex)
	ix := newIndex()
	c := tx.Bucket([]byte(bucketVersions)).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		key, ok := rowKey(v)
		if !ok || len(k) != revLen {
			return nil, fmt.Errorf("%w: versions row %x", ErrCorrupt, k)
		}
		ki := keys[string(key)]
		if ki == nil {
			ki = &keyIndex{key: string(key)}
			keys[ki.key] = ki
		}
		rev := parseRev(k)
		ki.vers = append(ki.vers, refOf(rev, k, v))
		ki.create, ki.ver = parseRev(v[1:1+revLen]), int64(binary.BigEndian.Uint64(v[1+revLen:kvHeaderLen]))
		ix.versions++
	}
	sorted := make([]*keyIndex, 0, len(keys))
	for _, ki := range keys {
		sorted = append(sorted, ki)
	}
	slices.SortFunc(sorted, func(a, b *keyIndex) int { return strings.Compare(a.key, b.key) })
	for _, ki := range sorted {
		ix.tree.ReplaceOrInsert(ki)
	}
	return ix, nil
}

// refOf is the index entry of the row k → v.
func refOf(rev Revision, k, v []byte) verRef {
	ref := verRef{main: rev.Main, sub: rev.Sub, size: uint32(len(k) + len(v))}
	if v[0] == flagTombstone {
		ref.size |= tombBit
	}
	return ref
}
