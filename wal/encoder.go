package wal

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// encoder appends primitive values to buf. The first error sticks; later
// writes are no-ops, so callers check err once at the end.
type encoder struct {
	buf []byte
	err error
	// version is the format being written: FormatCurrent, or FormatV1
	// while a cluster still has nodes of the first release (EncodeBatchAs).
	version byte
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func (e *encoder) u8(v uint8) {
	if e.err == nil {
		e.buf = append(e.buf, v)
	}
}

func (e *encoder) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

func (e *encoder) uvarint(v uint64) {
	if e.err == nil {
		e.buf = binary.AppendUvarint(e.buf, v)
	}
}

func (e *encoder) varint(v int64) {
	if e.err == nil {
		e.buf = binary.AppendVarint(e.buf, v)
	}
}

func (e *encoder) int(v int) { e.varint(int64(v)) }

// str writes a length-prefixed string; field names the field in errors.
func (e *encoder) str(field, s string) {
	if e.err != nil {
		return
	}
	if len(s) > MaxStringLen {
		e.err = fmt.Errorf("%w: %s is %d bytes (limit %d)", ErrInvalidRecord, field, len(s), MaxStringLen)
		return
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// time writes t as Unix nanoseconds (zig-zag varint). Times that do not fit
// in int64 nanoseconds (before 1678 or after 2262) are rejected.
func (e *encoder) time(field string, t time.Time) {
	n := t.UnixNano()
	if !time.Unix(0, n).Equal(t) {
		if e.err == nil {
			e.err = fmt.Errorf("%w: %s %s is outside the encodable range (years 1678-2262)", ErrInvalidRecord, field, t)
		}
		return
	}
	e.varint(n)
}

func (e *encoder) strs(field string, v []string) {
	e.uvarint(uint64(len(v)))
	for _, s := range v {
		e.str(field, s)
	}
}

// strMap writes a count and the entries in strictly increasing key order.
func (e *encoder) strMap(field string, m map[string]string) {
	e.uvarint(uint64(len(m)))
	if len(m) == 0 || e.err != nil {
		return
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.str(field, k)
		e.str(field, m[k])
	}
}
