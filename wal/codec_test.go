package wal

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustEncode(t testing.TB, r *Record) []byte {
	t.Helper()
	b, err := EncodeRecord(nil, r)
	if err != nil {
		t.Fatalf("EncodeRecord(%s): %v", r.Kind, err)
	}
	return b
}

func TestFixturesCoverEveryKindAndField(t *testing.T) {
	var kinds []Kind
	for _, r := range fullRecords() {
		kinds = append(kinds, r.Kind)
		assertAllSet(t, r.Kind.String(), reflect.ValueOf(r))
	}
	if !slices.Equal(kinds, allKinds()) {
		t.Fatalf("fixtures cover kinds %v, want %v", kinds, allKinds())
	}
}

func TestRecordRoundTripEveryKind(t *testing.T) {
	for _, r := range fullRecords() {
		t.Run(r.Kind.String(), func(t *testing.T) {
			data := mustEncode(t, &r)
			got, err := DecodeRecord(data)
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			if want := normalise(r); !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, want)
			}
			if got.Time.Location() != time.UTC {
				t.Fatalf("decoded time location %v, want UTC", got.Time.Location())
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("decoded record invalid: %v", err)
			}
		})
	}
}

func TestBatchRoundTrip(t *testing.T) {
	b := Batch{Records: append(fullRecords(), fullRecords()...)}
	data, err := EncodeBatch(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	want := Batch{}
	for _, r := range b.Records {
		want.Records = append(want.Records, normalise(r))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("batch round trip differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestEmptyBatch(t *testing.T) {
	data, err := EncodeBatch(&Batch{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, []byte{FormatCurrent, 0}) {
		t.Fatalf("empty batch = %x, want 0200", data)
	}
	got, err := DecodeBatch(data)
	if err != nil || got.Records != nil {
		t.Fatalf("DecodeBatch(empty) = %+v, %v; want nil records", got, err)
	}
}

func TestBatchRecordsAreEncodeRecordBytes(t *testing.T) {
	recs := fullRecords()[:2]
	data, err := EncodeBatch(&Batch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{FormatCurrent, 2}
	for i := range recs {
		rb := mustEncode(t, &recs[i])
		want = appendUvarint(want, uint64(len(rb)))
		want = append(want, rb...)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("batch layout:\n got %x\nwant %x", data, want)
	}
}

func TestEmptyCollectionsDecodeNil(t *testing.T) {
	r := header(KindDecided)
	r.Decided = &Decided{Action: ActionCreate, Drift: DriftMissing, ResourceKind: ResourceInstance, SetTags: map[string]string{}, RemoveTags: []string{}}
	got, err := DecodeRecord(mustEncode(t, &r))
	if err != nil {
		t.Fatal(err)
	}
	if got.Decided.SetTags != nil || got.Decided.RemoveTags != nil {
		t.Fatalf("empty map/slice decoded as %#v / %#v, want nil", got.Decided.SetTags, got.Decided.RemoveTags)
	}
}

func TestEncodeRecordAppends(t *testing.T) {
	r := fullRecords()[0]
	prefix := []byte("prefix")
	out, err := EncodeRecord(slices.Clone(prefix), &r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, prefix) || !bytes.Equal(out[len(prefix):], mustEncode(t, &r)) {
		t.Fatalf("EncodeRecord did not append to dst: %x", out)
	}
}

func TestMinRecordLen(t *testing.T) {
	// An empty note (and, before format 5, an empty compaction) is the
	// smallest record.
	r := Record{Kind: KindNote, Time: time.Unix(0, 0), Note: &Note{}}
	if n := len(mustEncode(t, &r)); n != minRecordLen {
		t.Fatalf("smallest record encodes to %d bytes, minRecordLen is %d", n, minRecordLen)
	}
	g := Config{Groups: []Group{{}}}
	e := encoder{version: FormatCurrent}
	e.group(&g.Groups[0])
	if len(e.buf) != minGroupLen+1 { // format 1's group is minGroupLen; format 2 adds the unnamed flag
		t.Fatalf("empty group encodes to %d bytes, minGroupLen is %d (+1 in format 2)", len(e.buf), minGroupLen)
	}
}

func TestEncodeDeterministic(t *testing.T) {
	r := manyTagsRecord(500)
	first := mustEncode(t, &r)
	for range 20 {
		// Rebuild the map so its internal order differs between runs.
		again := manyTagsRecord(500)
		if !bytes.Equal(mustEncode(t, &again), first) {
			t.Fatal("same record encoded to different bytes")
		}
	}
	got, err := DecodeRecord(first)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, normalise(r)) {
		t.Fatal("500-tag record did not round-trip")
	}
}

func TestTruncatedInputIsAnError(t *testing.T) {
	recs := fullRecords()
	batch, err := EncodeBatch(&Batch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(batch) {
		if _, err := DecodeBatch(batch[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("DecodeBatch(first %d of %d bytes) = %v, want ErrCorrupt", n, len(batch), err)
		}
	}
	for _, r := range recs {
		data := mustEncode(t, &r)
		for n := range len(data) {
			if _, err := DecodeRecord(data[:n]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: DecodeRecord(first %d of %d bytes) = %v, want ErrCorrupt", r.Kind, n, len(data), err)
			}
		}
	}
}

func TestUnknownVersion(t *testing.T) {
	r := fullRecords()[0]
	rec := mustEncode(t, &r)
	batch, err := EncodeBatch(&Batch{Records: []Record{r}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []byte{0, FormatCurrent + 1, 0x7b, 0xff} {
		rec[0], batch[0] = v, v
		if _, err := DecodeRecord(rec); !errors.Is(err, ErrUnknownVersion) {
			t.Errorf("DecodeRecord with format byte %d: %v, want ErrUnknownVersion", v, err)
		}
		if _, err := DecodeBatch(batch); !errors.Is(err, ErrUnknownVersion) {
			t.Errorf("DecodeBatch with format byte %d: %v, want ErrUnknownVersion", v, err)
		}
	}
}

// rawNote builds a note record by hand: header with empty strings, then body.
func rawNote(body ...byte) []byte {
	return append([]byte{FormatV1, byte(KindNote), 0, 2, 0, 0, 0, 0}, body...)
}

func TestDecodeRejectsGarbage(t *testing.T) {
	valid := fullRecords()[0]
	enc := mustEncode(t, &valid)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"trailing byte":       {append(slices.Clone(enc), 0), "trailing"},
		"unknown kind":        {[]byte{FormatV1, 0, 0, 2, 0, 0, 0, 0, 0}, "unknown record kind 0"},
		"kind past the end":   {[]byte{FormatV1, byte(LastKind() + 1), 0, 2, 0, 0, 0, 0, 0}, fmt.Sprintf("unknown record kind %d", LastKind()+1)},
		"non-minimal varint":  {rawNote(0x80, 0x00), "non-minimal"},
		"varint overflow":     {rawNote(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "overflows"},
		"length past the end": {rawNote(0x05, 'a'), "exceeds the 1 remaining"},
		"huge length":         {rawNote(0xff, 0xff, 0xff, 0xff, 0x0f), "exceeds"},
		"unknown action":      {mutate(t, KindExecuting, 0, 99), "unknown action 99"},
		"zero drift":          {mutate(t, KindDecided, 1, 0), "unknown drift 0"},
		"unknown change":      {mutate(t, KindObserved, 0, 4), "unknown observation change 4"},
		"boolean byte 2":      {boolTwo(t), "boolean byte 2"},
		"unsorted map keys":   {mapWithKeys(t, "b", "a"), "must be sorted"},
		"duplicate map keys":  {mapWithKeys(t, "a", "a"), "must be sorted"},
		"huge count":          {hugeCount(t), "cannot fit"},
		"empty record":        {nil, "empty"},
		"string over 1 MiB":   {overLimit(), "exceeds the limit"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeRecord(c.data)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DecodeRecord = %v, want ErrCorrupt containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

// mutate encodes the fixture of kind k and sets the payload byte at
// position i (relative to the payload start) to v.
func mutate(t *testing.T, k Kind, i int, v byte) []byte {
	t.Helper()
	r := fullRecords()[k-1]
	data := mustEncode(t, &r)
	data[payloadStart(t, &r)+i] = v
	return data
}

// payloadStart returns the offset of the payload in r's encoding.
func payloadStart(t *testing.T, r *Record) int {
	t.Helper()
	e := encoder{buf: []byte{FormatCurrent}}
	h := *r
	e.u8(uint8(h.Kind))
	e.str("", h.ResourceID)
	e.time("", h.Time)
	e.str("", h.Node)
	e.uvarint(h.Term)
	e.str("", h.DecisionID)
	e.str("", h.CycleID)
	return len(e.buf)
}

func boolTwo(t *testing.T) []byte {
	r := fullRecords()[KindFailed-1]
	data := mustEncode(t, &r)
	data[len(data)-1] = 2 // Retryable is the last byte
	return data
}

func mapWithKeys(t *testing.T, k1, k2 string) []byte {
	t.Helper()
	r := header(KindDecided)
	r.Decided = &Decided{Action: ActionCreate, Drift: DriftMissing, ResourceKind: ResourceInstance, SetTags: map[string]string{"a": "1", "b": "2"}}
	data := mustEncode(t, &r)
	i := bytes.Index(data, []byte{2, 1, 'a', 1, '1', 1, 'b', 1, '2'})
	if i < 0 {
		t.Fatal("map bytes not found")
	}
	data[i+2], data[i+6] = k1[0], k2[0]
	return data
}

func hugeCount(t *testing.T) []byte {
	t.Helper()
	r := header(KindExecuted)
	r.Executed = &Executed{Action: ActionCreate, ResourceIDs: []string{"x"}}
	data := mustEncode(t, &r)
	i := bytes.Index(data, []byte{1, 1, 'x'})
	return append(append(data[:i:i], 0xff, 0xff, 0xff, 0xff, 0x0f), data[i+1:]...)
}

func overLimit() []byte {
	data := rawNote(appendUvarint(nil, MaxStringLen+1)...)
	return append(data, make([]byte, MaxStringLen+1)...)
}

func TestEncodeRejectsInvalid(t *testing.T) {
	ok := fullRecords()[KindNote-1]
	cases := map[string]func(r *Record){
		"no payload":     func(r *Record) { r.Note = nil },
		"wrong payload":  func(r *Record) { r.Note, r.Compaction = nil, &Compaction{} },
		"two payloads":   func(r *Record) { r.Compaction = &Compaction{} },
		"unknown kind":   func(r *Record) { r.Kind = 99 },
		"zero time":      func(r *Record) { r.Time = time.Time{} },
		"time too early": func(r *Record) { r.Time = time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC) },
		"long string":    func(r *Record) { r.Node = strings.Repeat("x", MaxStringLen+1) },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			r := ok
			n := *ok.Note
			r.Note = &n
			mut(&r)
			out, err := EncodeRecord([]byte("keep"), &r)
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("EncodeRecord = %v, want ErrInvalidRecord", err)
			}
			if string(out) != "keep" {
				t.Fatalf("dst changed on error: %q", out)
			}
			if _, err := EncodeBatch(&Batch{Records: []Record{ok, r}}); !errors.Is(err, ErrInvalidRecord) ||
				!strings.Contains(err.Error(), "record 1") {
				t.Fatalf("EncodeBatch = %v, want ErrInvalidRecord naming record 1", err)
			}
		})
	}
	if _, err := EncodeRecord(nil, nil); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("EncodeRecord(nil) = %v", err)
	}
	if _, err := EncodeBatch(nil); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("EncodeBatch(nil) = %v", err)
	}
}

func TestEncodeRejectsInvalidEnums(t *testing.T) {
	for _, r := range fullRecords() {
		switch {
		case r.Observed != nil:
			r.Observed.Change = 0
		case r.Decided != nil:
			r.Decided.Drift = 6
		case r.Executing != nil:
			r.Executing.Action = 0
		case r.Executed != nil:
			r.Executed.Action = 200
		case r.Failed != nil:
			r.Failed.Action = 0
		default:
			continue
		}
		if _, err := EncodeRecord(nil, &r); !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("%s with an invalid enum: EncodeRecord = %v, want ErrInvalidRecord", r.Kind, err)
		}
	}
}

func TestBatchRejectsGarbage(t *testing.T) {
	cases := map[string][]byte{
		"count beyond input":    {FormatV1, 5, 1, 1},
		"record length too big": {FormatV1, 1, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		"trailing bytes":        {FormatV1, 0, 0},
		"bad inner record":      {FormatV1, 1, 9, FormatV1, 0, 0, 2, 0, 0, 0, 0, 0},
		"inner version":         {FormatV1, 1, 9, 7, 9, 0, 2, 0, 0, 0, 0, 0},
	}
	for name, data := range cases {
		if _, err := DecodeBatch(data); err == nil {
			t.Errorf("%s: DecodeBatch(%x) succeeded", name, data)
		}
	}
}

func TestValidateMessages(t *testing.T) {
	r := header(KindNote)
	r.Compaction = &Compaction{}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "kind note carries a compaction payload") {
		t.Errorf("wrong payload: %v", err)
	}
	r.Note = &Note{}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "has 2 payloads") {
		t.Errorf("two payloads: %v", err)
	}
	r.Note, r.Compaction = nil, nil
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "has 0 payloads") {
		t.Errorf("no payload: %v", err)
	}
}

// TestFormatGolden pins the current format to the example in
// docs/architecture/wal-system.md: changing these bytes is a format change
// and needs a new format byte.
func TestFormatGolden(t *testing.T) {
	r := Record{Kind: KindNote, Time: time.Unix(0, 1000), Node: "n1", Term: 3, Note: &Note{Text: "hi"}}
	want := []byte{0x06, 0x09, 0x00, 0xd0, 0x0f, 0x02, 'n', '1', 0x03, 0x00, 0x00, 0x02, 'h', 'i'}
	if got := mustEncode(t, &r); !bytes.Equal(got, want) {
		t.Fatalf("note encodes to % x, want % x", got, want)
	}
	batch, err := EncodeBatch(&Batch{Records: []Record{r}})
	if err != nil {
		t.Fatal(err)
	}
	if wantBatch := append([]byte{0x06, 0x01, byte(len(want))}, want...); !bytes.Equal(batch, wantBatch) {
		t.Fatalf("batch encodes to % x, want % x", batch, wantBatch)
	}
	for _, f := range []byte{FormatV4, FormatV5} { // formats 4 and 5 wrote the same note
		want[0] = f
		if got, err := EncodeRecordAs(nil, &r, f); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("note as format %d encodes to % x (%v), want % x", f, got, err, want)
		}
	}
}

// TestDecodeBatchCopiesOnlyTheRecords: decoding a batch allocates what
// decoding its records does plus the two slices it returns — its framing
// is not copied a second time (the FSM decodes every committed entry).
func TestDecodeBatchCopiesOnlyTheRecords(t *testing.T) {
	recs := fullRecords()[:1]
	data, err := EncodeBatch(&Batch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	rec := mustEncode(t, &recs[0])
	perRecord := testing.AllocsPerRun(50, func() { _, _ = DecodeRecord(rec) })
	perBatch := testing.AllocsPerRun(50, func() { _, _, _ = DecodeBatchEncoded(data) })
	if perBatch > perRecord+2 {
		t.Fatalf("a one-record batch takes %v allocations, its record %v: want at most 2 more (Records, raws)", perBatch, perRecord)
	}
}
