package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// Replay returns the audit-log records matching f, in revision order (the
// first f.Limit of them if f.Limit > 0). It walks the most selective index:
// ResourceID → idx_res; else Kinds → idx_kind (merged in revision order);
// else Since/Until → idx_time (then sorted by revision); else the log from
// f.After. The remaining filters are applied while walking. The cost is
// O(log n + k) where k is the number of index entries walked. With f.Last
// the answer is the last f.Limit matches: the log and the time index are
// walked backwards from the end (k is then about f.Limit), the resource and
// kind indexes forwards, keeping the latest f.Limit.
func (s *Store) Replay(f ReplayFilter) ([]RecordAt, error) {
	m, err := newMatcher(&f)
	if err != nil {
		return nil, err
	}
	for range maxReplayTries {
		out, err := s.replayOnce(&f, m)
		if !errors.Is(err, errResSwapped) {
			if err != nil {
				return nil, fmt.Errorf("mvcc: replay: %w", err)
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("mvcc: replay: %w %d times in a row", errResSwapped, maxReplayTries)
}

// errResSwapped: a spill swapped the memory part of the resource index
// between the read's look at it and its transaction; the read runs again.
var errResSwapped = errors.New("the resource index was written while the read began")

// maxReplayTries bounds the reads again after a spill (one every spillAt
// records: a second in a row is all but impossible).
const maxReplayTries = 8

// replayOnce is Replay in one read transaction.
func (s *Store) replayOnce(f *ReplayFilter, m *matcher) ([]RecordAt, error) {
	mem := s.res.Load() // before the transaction: see resLookup
	var out []RecordAt
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		r := replayer{wal: tx.Bucket([]byte(bucketWAL)), m: m, limit: f.Limit, last: f.Last}
		switch {
		case f.ResourceID != "":
			if s.res.Load() != mem {
				return errResSwapped
			}
			out, err = r.byResourceOrName(s.resLookup(tx, mem), f.ResourceID, f.After)
		case len(f.Kinds) > 0:
			out, err = r.byKinds(tx.Bucket([]byte(bucketIdxKind)), m.kindList, f.After)
		case !f.Since.IsZero() || !f.Until.IsZero():
			out, err = r.byTime(tx.Bucket([]byte(bucketIdxTime)), f)
		case f.Last:
			out, err = r.scanBack(f.After)
		default:
			out, err = r.scan(f.After)
		}
		if err == nil && f.Last {
			out = out[len(out)-min(len(out), f.Limit):]
		}
		return err
	})
	return out, err
}

// matcher applies the filters to decoded records.
type matcher struct {
	resourceID   string
	kinds        [256]bool
	kindList     []wal.Kind // distinct, ascending
	since, until int64      // Unix nanoseconds; hasSince/hasUntil say whether set
	hasSince     bool
	hasUntil     bool
	after        Revision
	byName       map[Revision]bool // revisions indexed under ResourceID as a name
}

func newMatcher(f *ReplayFilter) (*matcher, error) {
	if f.Limit < 0 || f.Last && f.Limit == 0 {
		return nil, fmt.Errorf("%w: replay limit %d (last %v)", ErrInvalidInput, f.Limit, f.Last)
	}
	m := &matcher{resourceID: f.ResourceID, after: f.After}
	for _, k := range f.Kinds {
		if !k.Valid() {
			return nil, fmt.Errorf("%w: replay kind %d", ErrInvalidInput, uint8(k))
		}
		if !m.kinds[k] {
			m.kinds[k] = true
			m.kindList = append(m.kindList, k)
		}
	}
	slices.Sort(m.kindList)
	if !f.Since.IsZero() {
		m.since, m.hasSince = f.Since.UnixNano(), true
	}
	if !f.Until.IsZero() {
		m.until, m.hasUntil = f.Until.UnixNano(), true
	}
	return m, nil
}

// match reports whether a record at rev passes every filter.
func (m *matcher) match(rev Revision, r *wal.Record) bool {
	n := r.Time.UnixNano()
	switch {
	case !m.after.Less(rev):
		return false
	case m.resourceID != "" && !r.Concerns(m.resourceID) && !m.byName[rev]:
		return false
	case len(m.kindList) > 0 && !m.kinds[r.Kind]:
		return false
	case m.hasSince && n < m.since:
		return false
	case m.hasUntil && n >= m.until:
		return false
	}
	return true
}

// replayer loads and filters records.
type replayer struct {
	wal   *bolt.Bucket
	m     *matcher
	limit int
	last  bool // keep the last limit matches (a forward walk never fills up)
	out   []RecordAt
}

// full reports whether the limit is reached.
func (r *replayer) full() bool { return !r.last && r.limit > 0 && len(r.out) >= r.limit }

// add loads the record at rev and keeps it if it matches.
func (r *replayer) add(rev Revision) error {
	data := r.wal.Get(revBytes(rev))
	if data == nil {
		return fmt.Errorf("%w: index names revision %v with no record", ErrCorrupt, rev)
	}
	return r.addData(rev, data)
}

// addData decodes a record and keeps it if it matches.
func (r *replayer) addData(rev Revision, data []byte) error {
	rec, err := wal.DecodeRecord(data)
	if err != nil {
		return fmt.Errorf("record at %v: %w", rev, err)
	}
	if r.m.match(rev, &rec) {
		r.out = append(r.out, RecordAt{Revision: rev, Record: rec})
	}
	if r.last && len(r.out) >= 2*r.limit { // a forward walk keeping the last limit
		r.out = append(r.out[:0], r.out[len(r.out)-r.limit:]...)
	}
	return nil
}

// next returns the smallest revision strictly after rev.
func next(rev Revision) Revision {
	if rev.Sub == math.MaxUint32 {
		return Revision{Main: rev.Main + 1}
	}
	return Revision{Main: rev.Main, Sub: rev.Sub + 1}
}

// byResourceOrName answers a ResourceID that is a cloud id, the name of a
// unit of the configuration (a named resource, or a count group: every
// record about its members), or both, in revision order.
func (r *replayer) byResourceOrName(ix resLookup, id string, after Revision) ([]RecordAt, error) {
	named := ix.revs(nameIndexID(id), after)
	if len(named) == 0 {
		return r.byResource(ix, id, after)
	}
	revs := ix.revs(id, after)
	r.m.byName = make(map[Revision]bool, len(named))
	for _, rev := range named {
		r.m.byName[rev] = true
	}
	revs = append(revs, named...)
	slices.SortFunc(revs, compareRev)
	revs = slices.Compact(revs)
	return r.load(revs)
}

// resLookup is the resource index as one read transaction sees it: idx_res
// (the records up to the transaction's idx_res_through) and the memory
// part's entries from the revision after it (or from the audit compaction
// revision, if higher: records below are dropped or being dropped) up to
// the transaction's applied index. The memory part was loaded before the
// transaction began and was still current once it had: every entry it
// lacks is in idx_res, and every record it holds the transaction may not
// see (committed since) is past upTo.
type resLookup struct {
	b          *bolt.Bucket
	mem        *resIndex
	from, upTo uint64
}

func (s *Store) resLookup(tx *bolt.Tx, mem *resIndex) resLookup {
	meta := tx.Bucket([]byte(bucketMeta))
	return resLookup{b: tx.Bucket([]byte(bucketIdxRes)), mem: mem, upTo: readMeta(meta).applied,
		from: max(readU64(meta, metaResThrough)+1, s.AuditCompactedRevision())}
}

// revs lists the revisions indexed under id after after, ascending.
func (ix resLookup) revs(id string, after Revision) []Revision {
	return append(indexRevs(ix.b, id, after), ix.mem.after(id, after, ix.from, ix.upTo)...)
}

// indexRevs lists the revisions idx_res holds for id after after.
func indexRevs(b *bolt.Bucket, id string, after Revision) []Revision {
	var revs []Revision
	c := b.Cursor()
	want := len(id) + 1 + revLen
	prefix := resIndexKey(id, Revision{})[:len(id)+1]
	for k, _ := c.Seek(resIndexKey(id, next(after))); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == want {
			revs = append(revs, parseRev(k[len(prefix):]))
		}
	}
	return revs
}

// byResource walks idx_res (resource id + 0x00 + revision), then the
// memory part of the index, whose revisions all come after idx_res's.
func (r *replayer) byResource(ix resLookup, id string, after Revision) ([]RecordAt, error) {
	c := ix.b.Cursor()
	want := len(id) + 1 + revLen
	prefix := resIndexKey(id, Revision{})[:len(id)+1]
	for k, _ := c.Seek(resIndexKey(id, next(after))); k != nil && !r.full(); k, _ = c.Next() {
		if !bytes.HasPrefix(k, prefix) {
			break
		}
		if len(k) != want { // another id that extends this one past a 0x00 byte
			continue
		}
		if err := r.add(parseRev(k[len(prefix):])); err != nil {
			return nil, err
		}
	}
	for _, rev := range ix.mem.after(id, after, ix.from, ix.upTo) {
		if r.full() {
			break
		}
		if err := r.add(rev); err != nil {
			return nil, err
		}
	}
	return r.out, nil
}

// byKinds merges the idx_kind ranges of each kind in revision order.
func (r *replayer) byKinds(b *bolt.Bucket, kinds []wal.Kind, after Revision) ([]RecordAt, error) {
	type head struct {
		c   *bolt.Cursor
		k   []byte
		tag byte
	}
	heads := make([]head, 0, len(kinds))
	for _, kind := range kinds {
		c := b.Cursor()
		k, _ := c.Seek(kindIndexKey(byte(kind), next(after)))
		heads = append(heads, head{c: c, k: k, tag: byte(kind)})
	}
	valid := func(h *head) bool { return h.k != nil && len(h.k) == 1+revLen && h.k[0] == h.tag }
	for !r.full() {
		best := -1
		for i := range heads {
			if valid(&heads[i]) && (best < 0 || parseRev(heads[i].k[1:]).Less(parseRev(heads[best].k[1:]))) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		if err := r.add(parseRev(heads[best].k[1:])); err != nil {
			return nil, err
		}
		heads[best].k, _ = heads[best].c.Next()
	}
	return r.out, nil
}

// byTime walks idx_time over [Since, Until), keeps revisions after
// f.After, sorts them and loads the first Limit.
func (r *replayer) byTime(b *bolt.Bucket, f *ReplayFilter) ([]RecordAt, error) {
	c := b.Cursor()
	var k []byte
	if f.Since.IsZero() {
		k, _ = c.First()
	} else {
		k, _ = c.Seek(binary.BigEndian.AppendUint64(nil, timeBits(f.Since)))
	}
	var revs []Revision
	for ; k != nil; k, _ = c.Next() {
		if len(k) != timeLen+revLen {
			return nil, fmt.Errorf("%w: idx_time key %x", ErrCorrupt, k)
		}
		if !f.Until.IsZero() && binary.BigEndian.Uint64(k) >= timeBits(f.Until) {
			break
		}
		if rev := parseRev(k[timeLen:]); f.After.Less(rev) {
			revs = append(revs, rev)
		}
	}
	slices.SortFunc(revs, func(a, b Revision) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	if r.last { // the last limit revisions: the index already applied every filter left
		revs = revs[len(revs)-min(len(revs), r.limit):]
	}
	return r.load(revs)
}

// load adds the records at revs, in order, until the limit is reached.
func (r *replayer) load(revs []Revision) ([]RecordAt, error) {
	for _, rev := range revs {
		if r.full() {
			break
		}
		if err := r.add(rev); err != nil {
			return nil, err
		}
	}
	return r.out, nil
}

// scan walks the log itself from after.
func (r *replayer) scan(after Revision) ([]RecordAt, error) {
	c := r.wal.Cursor()
	for k, v := c.Seek(revBytes(next(after))); k != nil && !r.full(); k, v = c.Next() {
		if len(k) != revLen {
			return nil, fmt.Errorf("%w: wal key %x", ErrCorrupt, k)
		}
		if err := r.addData(parseRev(k), v); err != nil {
			return nil, err
		}
	}
	return r.out, nil
}

// scanBack walks the log backwards from its end down to after, until it
// holds the last limit records, and returns them in revision order.
func (r *replayer) scanBack(after Revision) ([]RecordAt, error) {
	c := r.wal.Cursor()
	for k, v := c.Last(); k != nil && len(r.out) < r.limit; k, v = c.Prev() {
		if len(k) != revLen {
			return nil, fmt.Errorf("%w: wal key %x", ErrCorrupt, k)
		}
		if !after.Less(parseRev(k)) {
			break
		}
		if err := r.addData(parseRev(k), v); err != nil {
			return nil, err
		}
	}
	slices.Reverse(r.out)
	return r.out, nil
}

// RecordCount returns the number of records in the audit log.
func (s *Store) RecordCount() (uint64, error) {
	var n uint64
	err := s.view(func(tx *bolt.Tx) error {
		n = readMeta(tx.Bucket([]byte(bucketMeta))).records
		return nil
	})
	return n, err
}
