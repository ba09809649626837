package mvcc

import (
	"encoding/binary"
	"time"
)

// arenaChunk is the smallest block an arena allocates.
const arenaChunk = 4 << 10

// arena hands out the keys and values of one write transaction from a
// few large blocks instead of one allocation each. bbolt keeps the slices
// given to Put until the transaction commits, so a block is never reused:
// a full block is left to the transaction and a new one started.
type arena struct{ buf []byte }

// take returns n bytes with capacity n, so appends to take(n)[:0] stay
// inside them.
func (a *arena) take(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(n, 2*cap(a.buf), arenaChunk))
	}
	i := len(a.buf)
	a.buf = a.buf[:i+n]
	return a.buf[i : i+n : i+n]
}

// rev is the 12-byte encoding of rev.
func (a *arena) rev(rev Revision) []byte { return putRev(a.take(revLen)[:0], rev) }

// u64 is v as 8 big-endian bytes.
func (a *arena) u64(v uint64) []byte { return binary.BigEndian.AppendUint64(a.take(8)[:0], v) }

// row encodes a versions row: flag + create revision + version + key
// length + key + value.
func (a *arena) row(flag byte, create Revision, version int64, key string, value []byte) []byte {
	b := putRev(append(a.take(verHeaderLen + len(key) + len(value))[:0], flag), create)
	b = binary.BigEndian.AppendUint64(b, uint64(version))
	b = binary.BigEndian.AppendUint16(b, uint16(len(key)))
	return append(append(b, key...), value...)
}

// kindIndexKey is kindIndexKey(kind, rev).
func (a *arena) kindIndexKey(kind byte, rev Revision) []byte {
	return putRev(append(a.take(1 + revLen)[:0], kind), rev)
}

// timeIndexKey is timeIndexKey(t, rev).
func (a *arena) timeIndexKey(t time.Time, rev Revision) []byte {
	return putRev(binary.BigEndian.AppendUint64(a.take(timeLen + revLen)[:0], timeBits(t)), rev)
}
