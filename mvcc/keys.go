package mvcc

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Byte layout of the buckets. See docs/architecture/mvcc-storage.md.
const (
	revLen   = 12 // 8-byte big-endian Main + 4-byte big-endian Sub
	keySep   = 0x00
	keyAfter = 0x01 // key + keyAfter sorts after every version of key

	flagPut       byte = 1
	flagTombstone byte = 2

	kvHeaderLen  = 1 + revLen + 8  // flag + create revision + version
	verHeaderLen = kvHeaderLen + 2 // + key length (2)
	timeLen      = 8
)

// bucket names.
const (
	bucketMeta     = "meta"
	bucketVersions = "versions" // format 2: every version, keyed by revision
	bucketWAL      = "wal"
	bucketIdxRes   = "idx_res"
	bucketIdxKind  = "idx_kind"
	bucketIdxTime  = "idx_time"

	// Format 1 only (migrate.go): versions key-major, the key directory
	// and the revision → key list.
	bucketKV   = "kv"
	bucketKeys = "keys"
	bucketRevs = "revs"
)

// allBuckets lists every bucket a store file of the given format must
// hold.
func allBuckets(format uint64) []string { // format 2 and 3 hold the same buckets
	if format == formatV1 {
		return []string{bucketMeta, bucketKV, bucketKeys, bucketRevs, bucketWAL, bucketIdxRes, bucketIdxKind, bucketIdxTime}
	}
	return []string{bucketMeta, bucketVersions, bucketWAL, bucketIdxRes, bucketIdxKind, bucketIdxTime}
}

// putRev appends the 12-byte encoding of rev to dst.
func putRev(dst []byte, rev Revision) []byte {
	dst = binary.BigEndian.AppendUint64(dst, rev.Main)
	return binary.BigEndian.AppendUint32(dst, rev.Sub)
}

// revBytes returns the 12-byte encoding of rev.
func revBytes(rev Revision) []byte { return putRev(make([]byte, 0, revLen), rev) }

// parseRev decodes a 12-byte revision.
func parseRev(b []byte) Revision {
	return Revision{Main: binary.BigEndian.Uint64(b[:8]), Sub: binary.BigEndian.Uint32(b[8:revLen])}
}

// splitKVKey splits a format-1 kv-bucket key (key + 0x00 + rev) into the
// user key and the revision.
func splitKVKey(k []byte) (string, Revision, bool) {
	n := len(k) - 1 - revLen
	if n < 1 || k[n] != keySep {
		return "", Revision{}, false
	}
	return string(k[:n]), parseRev(k[n+1:]), true
}

// A row of the versions bucket: key REV, value flag (1) + create REV (12)
// + version (8) + key length (2) + key + value. A tombstone has a zero
// create revision, version 0 and no value.

// rowKey returns the user key a versions row holds (memory of the
// transaction), or false if the row is malformed.
func rowKey(v []byte) ([]byte, bool) {
	if len(v) < verHeaderLen || (v[0] != flagPut && v[0] != flagTombstone) {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(v[kvHeaderLen:verHeaderLen]))
	if n == 0 || len(v) < verHeaderLen+n {
		return nil, false
	}
	return v[verHeaderLen : verHeaderLen+n], true
}

// decodeRow decodes a versions row into a KeyValue, the value copied out
// of the transaction's memory.
func decodeRow(k, v []byte) (KeyValue, error) {
	key, ok := rowKey(v)
	if !ok || len(k) != revLen {
		return KeyValue{}, fmt.Errorf("%w: versions row %x", ErrCorrupt, k)
	}
	kv := KeyValue{
		Key:            string(key),
		ModRevision:    parseRev(k),
		CreateRevision: parseRev(v[1 : 1+revLen]),
		Version:        int64(binary.BigEndian.Uint64(v[1+revLen : kvHeaderLen])),
		Deleted:        v[0] == flagTombstone,
	}
	if !kv.Deleted {
		kv.Value = append([]byte{}, v[verHeaderLen+len(key):]...)
	}
	return kv, nil
}

// nameIndexID is the idx_res id a unit's name is indexed under: "=" and
// the name. Cloud ids never start with "=", so names and ids never meet.
func nameIndexID(name string) string { return "=" + name }

// decisionKey is the idx_res key remembering the unit a decision is
// about ("@" + decision id → name), so its outcomes are indexed under the
// name too. Its length never matches an index entry's of the same prefix.
func decisionKey(decisionID string) []byte { return []byte("@" + decisionID) }

// resIndexKey is the idx_res key: resource id + 0x00 + rev.
func resIndexKey(id string, rev Revision) []byte {
	b := make([]byte, 0, len(id)+1+revLen)
	b = append(b, id...)
	b = append(b, keySep)
	return putRev(b, rev)
}

// kindIndexKey is the idx_kind key: kind byte + rev.
func kindIndexKey(kind byte, rev Revision) []byte {
	return putRev(append(make([]byte, 0, 1+revLen), kind), rev)
}

// timeIndexKey is the idx_time key: 8-byte big-endian Unix nanoseconds with
// the sign bit flipped (so times before 1970 sort first) + rev.
func timeIndexKey(t time.Time, rev Revision) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, timeLen+revLen), timeBits(t))
	return putRev(b, rev)
}

// timeBits maps t to an unsigned value whose order is time order.
func timeBits(t time.Time) uint64 { return uint64(t.UnixNano()) ^ (1 << 63) }

// validateKey checks the key rules.
func validateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidInput)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: key of %d bytes (max %d)", ErrInvalidInput, len(key), MaxKeyLen)
	case strings.IndexByte(key, keySep) >= 0:
		return fmt.Errorf("%w: key %q contains a 0x00 byte", ErrInvalidInput, key)
	}
	return nil
}

// u64 encodes v as 8 big-endian bytes.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v) }
