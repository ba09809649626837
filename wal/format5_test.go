package wal

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// readHexGolden reads a "name hex" file: one encoding per record kind and
// one for the batch of all of them.
func readHexGolden(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, hexed, ok := strings.Cut(sc.Text(), " ")
		b, err := hex.DecodeString(hexed)
		if !ok || err != nil {
			t.Fatalf("%s: bad golden line %q", path, sc.Text())
		}
		out[name] = b
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// encodeAll encodes every fixture and their batch in format.
func encodeAll(t *testing.T, recs []Record, format byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for i := range recs {
		b, err := EncodeRecordAs(nil, &recs[i], format)
		if err != nil {
			t.Fatalf("encode %s as format %d: %v", recs[i].Kind, format, err)
		}
		out[recs[i].Kind.String()] = b
	}
	b, err := EncodeBatchAs(&Batch{Records: recs}, format)
	if err != nil {
		t.Fatalf("batch as format %d: %v", format, err)
	}
	out["batch"] = b
	return out
}

// asV4 is what a format 4 encoding of r decodes to: the compaction record
// has no audit-log retention and no policy, the summary no API budget.
func asV4(r Record) Record {
	r = asV5(r)
	if r.Compaction != nil {
		r.Compaction = &Compaction{Revision: r.Compaction.Revision}
	}
	if r.Summary != nil {
		s := *r.Summary
		s.Budget = nil
		r.Summary = &s
	}
	if r.Decided != nil {
		d := *r.Decided
		d.Adoptable = ""
		r.Decided = &d
	}
	return r
}

// TestFormatV4StillDecodes: the bytes format 4 wrote (captured before
// format 5 existed) decode to the same records, and a leader writing
// format 4 for a cluster that still has format-4 nodes writes those bytes.
func TestFormatV4StillDecodes(t *testing.T) {
	golden := readHexGolden(t, "testdata/format-v4.hex")
	var v4 []Record
	for _, full := range fullRecords() {
		if minFormat(full.Kind) <= FormatV4 { // the delivery kind came with format 5
			v4 = append(v4, asV4(full))
		}
	}
	got := encodeAll(t, v4, FormatV4)
	for name, want := range golden {
		if string(got[name]) != string(want) {
			t.Errorf("%s as format 4:\n got %x\nwant %x", name, got[name], want)
		}
	}
	for _, want := range v4 {
		r, err := DecodeRecord(golden[want.Kind.String()])
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Errorf("format 4 %s decodes to %+v (%v), want %+v", want.Kind, r, err, want)
		}
	}
}

// TestFormatV5StillDecodes: the bytes format 5 wrote (captured before
// format 6 existed) decode to the same records, and a leader writing
// format 5 for a cluster that still has format-5 nodes writes those bytes.
func TestFormatV5StillDecodes(t *testing.T) {
	var v5 []Record
	for _, full := range fullRecords() {
		v5 = append(v5, asV5(full))
	}
	got := encodeAll(t, v5, FormatV5)
	golden := readHexGolden(t, "testdata/format-v5.hex")
	if len(golden) != len(v5)+1 {
		t.Fatalf("golden has %d encodings, want %d", len(golden), len(v5)+1)
	}
	for name, want := range golden {
		if string(got[name]) != string(want) {
			t.Errorf("%s as format 5:\n got %x\nwant %x", name, got[name], want)
		}
	}
	for _, want := range v5 {
		r, err := DecodeRecord(golden[want.Kind.String()])
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Errorf("format 5 %s decodes to %+v (%v)", want.Kind, r, err)
		}
	}
}

// TestCompactionAuditNeedsFormatV5: a compaction that drops audit records
// or names its policy cannot be said in format 4 and is refused, never
// written as a history-only compaction.
func TestCompactionAuditNeedsFormatV5(t *testing.T) {
	for _, c := range []Compaction{{Revision: 9, Audit: 5}, {Revision: 9, Policy: "keep 30d"}} {
		r := header(KindCompaction)
		r.Compaction = &c
		if _, err := EncodeRecordAs(nil, &r, FormatV4); !errors.Is(err, ErrNeedsFormat) {
			t.Errorf("%+v as format 4: %v, want ErrNeedsFormat", c, err)
		}
	}
	r := header(KindCompaction)
	r.Compaction = &Compaction{Revision: 9}
	if _, err := EncodeRecordAs(nil, &r, FormatV4); err != nil {
		t.Errorf("history-only compaction as format 4: %v", err)
	}
}

// TestAdoptNeedsFormatV5: an adopt decision and its outcomes cannot be
// said in format 4 (a format-4 node does not know the action) and are
// refused; in format 5 they round-trip. The adoption hint of a report is
// left out of format 4, which has no field for it, and kept in format 5.
func TestAdoptNeedsFormatV5(t *testing.T) {
	dec := header(KindDecided)
	dec.Decided = &Decided{Action: ActionAdopt, Drift: DriftUnmanaged, ResourceKind: ResourceVolume, Group: "scratch",
		Reason: "Adopt: matches scratch", SetTags: map[string]string{TagManaged: "true", TagGroup: "scratch"}}
	exed := header(KindExecuted)
	exed.Executed = &Executed{Action: ActionAdopt, Message: "Adopted into scratch"}
	fail := header(KindFailed)
	fail.Failed = &Failed{Action: ActionAdopt, Code: "AlreadyManaged", Message: "managed by another decision"}
	for _, r := range []Record{dec, exed, fail} {
		if _, err := EncodeRecordAs(nil, &r, FormatV4); !errors.Is(err, ErrNeedsFormat) {
			t.Errorf("%s adopt as format 4: %v, want ErrNeedsFormat", r.Kind, err)
		}
		b, err := EncodeRecordAs(nil, &r, FormatV5)
		if err != nil {
			t.Fatalf("%s adopt as format 5: %v", r.Kind, err)
		}
		got, err := DecodeRecord(b)
		if err != nil || !reflect.DeepEqual(got, normalise(r)) {
			t.Errorf("%s adopt: decoded %+v (%v)", r.Kind, got, err)
		}
	}
	rep := header(KindDecided)
	rep.Decided = &Decided{Action: ActionReport, Drift: DriftUnmanaged, ResourceKind: ResourceInstance, Adoptable: "web"}
	b, err := EncodeRecordAs(nil, &rep, FormatV4)
	if err != nil {
		t.Fatalf("report with a hint as format 4: %v", err)
	}
	if got, err := DecodeRecord(b); err != nil || got.Decided.Adoptable != "" {
		t.Errorf("format 4 report: %+v, %v; want the hint left out", got.Decided, err)
	}
}

// TestAdoptInFormatV4BytesRejected: format-4 bytes carrying action 14 were
// never valid (no format-4 writer knew it) and still fail to decode.
func TestAdoptInFormatV4BytesRejected(t *testing.T) {
	r := header(KindExecuted)
	r.Executed = &Executed{Action: ActionDetach, Message: "x"}
	b, err := EncodeRecordAs(nil, &r, FormatV4)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "\x0d\x01x") // action byte, then the message
	if i < 0 {
		t.Fatalf("action byte not found in %x", b)
	}
	b[i] = byte(ActionAdopt)
	if _, err := DecodeRecord(b); !errors.Is(err, ErrCorrupt) {
		t.Errorf("format 4 with action adopt: %v, want ErrCorrupt", err)
	}
}
