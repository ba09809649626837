package wal

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// decoder reads primitive values from b. Every length and count is checked
// against the bytes that remain, so garbage can neither panic nor make it
// allocate more than a small multiple of the input. The first error sticks;
// later reads return zero values, so callers check err once at the end.
//
// s holds the same bytes as b: decoded strings are substrings of s, which
// costs one allocation per record instead of one per string.
type decoder struct {
	b    []byte
	s    string
	off  int
	base int // offset of b in the caller's input, for error messages
	err  error
	// version is the record's format byte: payload layouts differ
	// between FormatV1 and FormatV2.
	version byte
}

func newDecoder(b []byte, base int) decoder {
	return decoder{b: b, s: string(b), base: base}
}

// newFrameDecoder reads only numbers and byte slices from b (a batch's
// framing: its count and length-prefixed records), so it skips newDecoder's
// copy of b into s; reading a string from it would be a bug.
func newFrameDecoder(b []byte, base int) decoder {
	return decoder{b: b, base: base}
}

// fail records the first error, naming the field and the input offset.
func (d *decoder) fail(field, msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d: %s", ErrCorrupt, field, d.base+d.off, msg)
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) u8(field string) uint8 {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 1 {
		d.fail(field, "truncated")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) bool(field string) bool {
	switch v := d.u8(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail(field, fmt.Sprintf("boolean byte %d", v))
		return false
	}
}

// uvarint reads a minimally encoded unsigned varint.
func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		d.fail(field, "truncated varint")
		return 0
	case n < 0:
		d.fail(field, "varint overflows 64 bits")
		return 0
	case n > 1 && d.b[d.off+n-1] == 0:
		d.fail(field, "non-minimal varint")
		return 0
	}
	d.off += n
	return v
}

// varint reads a zig-zag signed varint (binary.AppendVarint).
func (d *decoder) varint(field string) int64 {
	u := d.uvarint(field)
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) int(field string) int {
	v := d.varint(field)
	if v < math.MinInt || v > math.MaxInt {
		d.fail(field, fmt.Sprintf("integer %d out of range", v))
		return 0
	}
	return int(v)
}

func (d *decoder) time(field string) time.Time {
	n := d.varint(field)
	if d.err != nil {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// length reads a byte length and checks it against the remaining input
// and MaxStringLen.
func (d *decoder) length(field string) int {
	n := d.uvarint(field)
	if d.err != nil {
		return 0
	}
	if n > uint64(d.remaining()) {
		d.fail(field, fmt.Sprintf("length %d exceeds the %d remaining bytes", n, d.remaining()))
		return 0
	}
	if n > MaxStringLen {
		d.fail(field, fmt.Sprintf("length %d exceeds the limit %d", n, MaxStringLen))
		return 0
	}
	return int(n)
}

func (d *decoder) str(field string) string {
	n := d.length(field)
	if d.err != nil || n == 0 {
		return ""
	}
	s := d.s[d.off : d.off+n]
	d.off += n
	return s
}

// bytes reads a length-prefixed byte slice (aliasing the input).
func (d *decoder) bytes(field string) []byte {
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(d.remaining()) {
		d.fail(field, fmt.Sprintf("length %d exceeds the %d remaining bytes", n, d.remaining()))
		return nil
	}
	b := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

// count reads an element count; each element takes at least minLen bytes,
// so a count the remaining input cannot hold is corrupt.
func (d *decoder) count(field string, minLen int) int {
	n := d.uvarint(field)
	if d.err != nil {
		return 0
	}
	if n > uint64(d.remaining()/minLen) {
		d.fail(field, fmt.Sprintf("count %d cannot fit in the %d remaining bytes", n, d.remaining()))
		return 0
	}
	return int(n)
}

// strs reads a string slice; empty gives nil.
func (d *decoder) strs(field string) []string {
	n := d.count(field, 1)
	if n == 0 {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = d.str(field)
	}
	if d.err != nil {
		return nil
	}
	return v
}

// strMap reads a map whose keys must be strictly increasing (sorted and
// unique), so every map has exactly one encoding; empty gives nil.
func (d *decoder) strMap(field string) map[string]string {
	n := d.count(field, minMapEntryLen)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str(field)
		if i > 0 && k <= prev {
			d.fail(field, fmt.Sprintf("key %q is not after %q (keys must be sorted and unique)", k, prev))
		}
		m[k] = d.str(field)
		prev = k
	}
	if d.err != nil {
		return nil
	}
	return m
}
