package mvcc

import (
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Migration of a format-1 file (versions key-major in kv: key + 0x00 +
// REV → flag + create REV + version + value; the keys directory; revs:
// REV → key) to format 2 (versions: REV → flag + create REV + version +
// key length + key + value). It runs in the transaction that opens the
// file (Open, or the reopen of Restore for a snapshot an older build
// wrote), so a crash leaves the file as it was: either format 1 whole or
// format 2 whole. The audit buckets are unchanged. The transaction holds
// the new bucket's pages in memory until it commits: about the size of the
// kv bucket again.

// migrateV1 rewrites kv into versions, drops kv, keys and revs and sets
// the format version.
func migrateV1(tx *bolt.Tx) error {
	type row struct {
		rev  Revision
		k, v []byte // the old key and value, in the transaction's memory
		n    int    // user key length
	}
	var rows []row
	size := 0
	c := tx.Bucket([]byte(bucketKV)).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		key, rev, ok := splitKVKey(k)
		if !ok || len(v) < kvHeaderLen || (v[0] != flagPut && v[0] != flagTombstone) {
			return fmt.Errorf("migrate format 1: %w: kv entry %q", ErrCorrupt, k)
		}
		rows = append(rows, row{rev: rev, k: k, v: v, n: len(key)})
		size += len(v) + 2 + len(key)
	}
	slices.SortFunc(rows, func(a, b row) int { return compareRev(a.rev, b.rev) })
	b, err := tx.CreateBucket([]byte(bucketVersions))
	if err != nil {
		return fmt.Errorf("migrate format 1: %w", err)
	}
	b.FillPercent = 1.0 // written in key order, never split again
	var mem arena
	mem.buf = make([]byte, 0, size+len(rows)*revLen)
	for _, r := range rows {
		val := mem.take(verHeaderLen + r.n + len(r.v) - kvHeaderLen)[:0]
		val = append(val, r.v[:kvHeaderLen]...)
		val = binary.BigEndian.AppendUint16(val, uint16(r.n))
		val = append(append(val, r.k[:r.n]...), r.v[kvHeaderLen:]...)
		if err := b.Put(mem.rev(r.rev), val); err != nil {
			return fmt.Errorf("migrate format 1: put %v: %w", r.rev, err)
		}
	}
	for _, name := range []string{bucketKV, bucketKeys, bucketRevs} {
		if err := tx.DeleteBucket([]byte(name)); err != nil {
			return fmt.Errorf("migrate format 1: drop %s: %w", name, err)
		}
	}
	if err := tx.Bucket([]byte(bucketMeta)).Put([]byte(metaFormat), u64(formatV2)); err != nil {
		return fmt.Errorf("migrate format 1: %w", err)
	}
	return nil
}

// migrateV2 makes a format-2 file format 3: its idx_res is whole, so it
// holds every record up to the applied index (idx_res_through).
func migrateV2(tx *bolt.Tx) error {
	meta := tx.Bucket([]byte(bucketMeta))
	if err := meta.Put([]byte(metaResThrough), u64(readU64(meta, metaAppliedIndex))); err != nil {
		return fmt.Errorf("migrate format 2: %w", err)
	}
	if err := meta.Put([]byte(metaFormat), u64(formatVersion)); err != nil {
		return fmt.Errorf("migrate format 2: %w", err)
	}
	return nil
}

// compareRev orders revisions.
func compareRev(a, b Revision) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}
