package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Format bytes: the leading byte of every encoded record and batch.
// FormatV1 is the instance-only layout of the first release; FormatV2
// adds resource kinds (a kind byte and one attribute payload per kind in
// every resource, the kind of every decision, named resources in the
// configuration). The encoder writes FormatCurrent; the decoder reads
// both and rejects any other value with ErrUnknownVersion. See
// docs/architecture/wal-system.md for the layout and the versioning rule.
// FormatV3 adds the inputs Decide read beyond the store to the cycle
// summary (DecideInputs), so a decision can be replayed. FormatV4 has
// format 3's bytes and adds the restore and leader record kinds, so a
// leader writing format 3 (a node cannot read them) never proposes them.
// FormatV5 adds the audit-log retention point and the policy to the
// compaction record (Compaction.Audit, Compaction.Policy).
// It also adds the cycle's EC2 API budget to the summary (APIBudget):
// written in an older format, a summary leaves its budget out (the cycle
// shows none), as a format 2 summary leaves out its Decide inputs.
// And it adds the delivery record kind (notification progress).
// FormatV6 adds the typed volume target of a decision (Decided.Volume;
// older formats carry its text in Size) and an instance's availability
// zone (Instance.AvailabilityZone; older formats leave it out), and makes
// a start decision an open decision the FSM keeps until its outcome, so a
// new leader recovers an interrupted start instead of deciding it again.
// The FSM reads that from the record's own format byte: a start decided in
// format 5 or older is not kept, on every node alike.
const (
	FormatV1      byte = 1
	FormatV2      byte = 2
	FormatV3      byte = 3
	FormatV4      byte = 4
	FormatV5      byte = 5
	FormatV6      byte = 6
	FormatCurrent      = FormatV6
)

// knownFormat reports whether this build decodes format byte v.
func knownFormat(v byte) bool { return v >= FormatV1 && v <= FormatCurrent }

// Limits that keep a decoder safe on hostile input.
const (
	// MaxStringLen is the longest string the codec encodes or decodes.
	MaxStringLen = 1 << 20
	// minRecordLen is the smallest possible EncodeRecord output: version,
	// kind, four empty strings, time, term and a one-byte payload.
	minRecordLen = 9
	// minGroupLen is the smallest encoded Group: six strings and two counts
	// (format 2 adds a flag byte).
	minGroupLen = 8
	// minMapEntryLen is the smallest encoded map entry: two empty strings.
	minMapEntryLen = 2
)

// Codec errors; returned wrapped with context, compare with errors.Is.
var (
	ErrUnknownVersion = errors.New("wal: unknown format version")
	ErrCorrupt        = errors.New("wal: corrupt data")
	// ErrNeedsFormat: the record cannot be written in the older format the
	// cluster still reads (a kind or action the first release does not know).
	ErrNeedsFormat = errors.New("wal: record needs a newer format")
)

// EncodeRecord appends the encoding of r (with its own format byte) to dst
// and returns the extended slice. The record must pass Validate. The output
// is deterministic: map entries are written in sorted key order.
func EncodeRecord(dst []byte, r *Record) ([]byte, error) {
	if r == nil {
		return dst, fmt.Errorf("%w: nil record", ErrInvalidRecord)
	}
	if err := r.Validate(); err != nil {
		return dst, err
	}
	return encodeRecord(dst, r, FormatCurrent)
}

// EncodeRecordAs is EncodeRecord in an older format a cluster still reads
// (FormatV1 while nodes of the first release remain): a record that format
// cannot express fails with ErrNeedsFormat, never loses meaning silently.
func EncodeRecordAs(dst []byte, r *Record, format byte) ([]byte, error) {
	if !knownFormat(format) {
		return dst, fmt.Errorf("%w: format byte %d", ErrUnknownVersion, format)
	}
	if r == nil {
		return dst, fmt.Errorf("%w: nil record", ErrInvalidRecord)
	}
	if err := r.Validate(); err != nil {
		return dst, err
	}
	return encodeRecord(dst, r, format)
}

func encodeRecord(dst []byte, r *Record, format byte) ([]byte, error) {
	e := encoder{buf: slices.Grow(dst, 256), version: format}
	e.buf = append(e.buf, format)
	e.record(r)
	if e.err != nil {
		return dst, e.err
	}
	return e.buf, nil
}

// DecodeRecord decodes exactly one record produced by EncodeRecord. Garbage,
// truncated input or trailing bytes give ErrCorrupt, a format byte other
// this build does not read gives ErrUnknownVersion; it never panics. The decoded record
// passes Validate; its Time is in UTC.
func DecodeRecord(data []byte) (Record, error) {
	if len(data) == 0 {
		return Record{}, fmt.Errorf("%w: empty record", ErrCorrupt)
	}
	if !knownFormat(data[0]) {
		return Record{}, fmt.Errorf("%w: record format byte %d (this build reads %d to %d)",
			ErrUnknownVersion, data[0], FormatV1, FormatCurrent)
	}
	d := newDecoder(data[1:], 1)
	d.version = data[0]
	r := d.record()
	if d.err == nil && d.off != len(d.b) {
		d.fail("record", fmt.Sprintf("%d trailing bytes", len(d.b)-d.off))
	}
	if d.err != nil {
		return Record{}, d.err
	}
	if err := r.Validate(); err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return r, nil
}

// EncodeBatch encodes a batch: the format byte, the record count, then each
// record as a length-prefixed EncodeRecord encoding. Every record must pass
// Validate.
func EncodeBatch(b *Batch) ([]byte, error) { return EncodeBatchAs(b, FormatCurrent) }

// EncodeBatchAs is EncodeBatch in format (see EncodeRecordAs).
func EncodeBatchAs(b *Batch, format byte) ([]byte, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: nil batch", ErrInvalidRecord)
	}
	frames, err := AppendFrames(make([]byte, 0, 256*len(b.Records)), b.Records, format)
	if err != nil {
		return nil, err
	}
	return JoinFrames(format, len(b.Records), frames), nil
}

// AppendFrames appends the body of a batch of recs to dst: each record as
// its length and its EncodeRecordAs encoding. Every record must pass
// Validate. The frames of several calls, concatenated, are the body of one
// batch holding all their records (JoinFrames adds the header): a leader
// merges concurrent proposals this way without encoding them again.
func AppendFrames(dst []byte, recs []Record, format byte) ([]byte, error) {
	if !knownFormat(format) {
		return dst, fmt.Errorf("%w: format byte %d", ErrUnknownVersion, format)
	}
	for i := range recs {
		// The record is encoded in place, after room for the longest
		// length prefix, and moved back once its length is known.
		start := len(dst)
		out, err := EncodeRecordAs(append(dst, make([]byte, binary.MaxVarintLen64)...), &recs[i], format)
		if err != nil {
			return dst[:start], fmt.Errorf("wal: batch record %d: %w", i, err)
		}
		n := len(out) - start - binary.MaxVarintLen64
		p := binary.PutUvarint(out[start:], uint64(n))
		copy(out[start+p:], out[start+binary.MaxVarintLen64:])
		dst = out[:start+p+n]
	}
	return dst, nil
}

// JoinFrames is the batch of count records whose frames (AppendFrames
// output, in format) are given in order: the format byte, the count, the
// frames.
func JoinFrames(format byte, count int, frames ...[]byte) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, f := range frames {
		n += len(f)
	}
	out := make([]byte, 0, n)
	out = append(out, format)
	out = appendUvarint(out, uint64(count))
	for _, f := range frames {
		out = append(out, f...)
	}
	return out
}

// DecodeBatch decodes the output of EncodeBatch. Garbage, truncation or
// trailing bytes give ErrCorrupt, an unknown format byte ErrUnknownVersion;
// it never panics. An empty batch decodes with nil Records.
func DecodeBatch(data []byte) (Batch, error) {
	b, _, err := DecodeBatchEncoded(data)
	return b, err
}

// DecodeBatchEncoded is DecodeBatch that also returns each record's own
// encoding (the EncodeRecord bytes inside data; they alias data), so that a
// reader that keeps the records (the FSM) stores the bytes it received
// instead of encoding them again. Every record passes Validate.
func DecodeBatchEncoded(data []byte) (Batch, [][]byte, error) {
	if len(data) == 0 {
		return Batch{}, nil, fmt.Errorf("%w: empty batch", ErrCorrupt)
	}
	if !knownFormat(data[0]) {
		return Batch{}, nil, fmt.Errorf("%w: batch format byte %d (this build reads %d to %d)",
			ErrUnknownVersion, data[0], FormatV1, FormatCurrent)
	}
	d := newFrameDecoder(data[1:], 1)
	n := d.count("batch records", minRecordLen+1)
	var b Batch
	var raws [][]byte
	if n > 0 {
		b.Records, raws = make([]Record, 0, n), make([][]byte, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		raw := d.bytes("batch record")
		if d.err != nil {
			break
		}
		r, err := DecodeRecord(raw)
		if err != nil {
			return Batch{}, nil, fmt.Errorf("wal: batch record %d: %w", i, err)
		}
		b.Records, raws = append(b.Records, r), append(raws, raw[:len(raw):len(raw)])
	}
	if d.err == nil && d.off != len(d.b) {
		d.fail("batch", fmt.Sprintf("%d trailing bytes", len(d.b)-d.off))
	}
	if d.err != nil {
		return Batch{}, nil, d.err
	}
	return b, raws, nil
}
