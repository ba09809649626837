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

	kvHeaderLen = 1 + revLen + 8 // flag + create revision + version
	timeLen     = 8
)

// bucket names.
const (
	bucketMeta    = "meta"
	bucketKV      = "kv"
	bucketKeys    = "keys"
	bucketRevs    = "revs"
	bucketWAL     = "wal"
	bucketIdxRes  = "idx_res"
	bucketIdxKind = "idx_kind"
	bucketIdxTime = "idx_time"
)

// allBuckets lists every bucket a store file must hold.
func allBuckets() []string {
	return []string{bucketMeta, bucketKV, bucketKeys, bucketRevs, bucketWAL, bucketIdxRes, bucketIdxKind, bucketIdxTime}
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

// kvKey is the kv-bucket key of key at rev: key + 0x00 + rev.
func kvKey(key string, rev Revision) []byte {
	b := make([]byte, 0, len(key)+1+revLen)
	b = append(b, key...)
	b = append(b, keySep)
	return putRev(b, rev)
}

// kvKeyPastVersions sorts after every version of key and before any other
// key that sorts after key.
func kvKeyPastVersions(key string) []byte {
	b := make([]byte, 0, len(key)+1)
	b = append(b, key...)
	return append(b, keyAfter)
}

// splitKVKey splits a kv-bucket key into the user key and the revision.
func splitKVKey(k []byte) (string, Revision, bool) {
	n := len(k) - 1 - revLen
	if n < 1 || k[n] != keySep {
		return "", Revision{}, false
	}
	return string(k[:n]), parseRev(k[n+1:]), true
}

// sameKey reports whether the kv-bucket key k is a version of key.
func sameKey(k []byte, key string) bool {
	n := len(k) - 1 - revLen
	return n == len(key) && k[n] == keySep && string(k[:n]) == key
}

// decodeKV decodes a kv-bucket key and value into a KeyValue (the value
// copied out of the transaction's memory).
func decodeKV(k, v []byte) (KeyValue, error) {
	kv, err := decodeKVHeader(k, v)
	if err == nil && !kv.Deleted {
		kv.Value = append([]byte{}, v[kvHeaderLen:]...)
	}
	return kv, err
}

// decodeKVHeader decodes everything but the value.
func decodeKVHeader(k, v []byte) (KeyValue, error) {
	key, rev, ok := splitKVKey(k)
	if !ok || len(v) < kvHeaderLen || (v[0] != flagPut && v[0] != flagTombstone) {
		return KeyValue{}, fmt.Errorf("%w: kv entry %q", ErrCorrupt, k)
	}
	kv := KeyValue{
		Key:            key,
		ModRevision:    rev,
		CreateRevision: parseRev(v[1 : 1+revLen]),
		Version:        int64(binary.BigEndian.Uint64(v[1+revLen : kvHeaderLen])),
		Deleted:        v[0] == flagTombstone,
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
