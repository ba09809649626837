package wal

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// formatV1Golden reads testdata/format-v1.hex: fullRecords() encoded by
// the first release (format 1, instance-only resources), one line per
// record kind and one for the batch of all of them, captured from that
// release's code before the codec learned resource kinds.
func formatV1Golden(t *testing.T) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/format-v1.hex")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, hexed, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		b, err := hex.DecodeString(hexed)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// asV1 is what a format 1 encoding of r decodes to: instance attributes
// the first release did not record are empty, and every decision is
// about an instance; named resources did not exist.
func asV1(r Record) Record {
	r = asV4(r)
	if r.Observed != nil {
		o := *r.Observed
		inst := *o.Resource.Instance
		inst.SecurityGroups, inst.TerminationProtection = nil, false
		o.Resource.Instance = &inst
		r.Observed = &o
	}
	if r.Config != nil {
		c := *r.Config
		c.Config.Groups = slices.Clone(c.Config.Groups)
		for i := range c.Config.Groups {
			c.Config.Groups[i].Unnamed = false
		}
		c.Config.Resources = nil
		r.Config = &c
	}
	if r.Decided != nil {
		d := *r.Decided
		d.Rule = nil
		r.Decided = &d
	}
	return withoutInputs(r)
}

// withoutInputs is r as a format 1 or 2 encoding decodes it: the cycle
// summary has no Decide inputs (and no API budget).
func withoutInputs(r Record) Record {
	if r.Summary != nil {
		s := *r.Summary
		s.Inputs, s.Budget = nil, nil
		r.Summary = &s
	}
	return r
}

// TestFormatV1StillDecodes: logs and snapshots written by the first
// release (every stored value is an EncodeRecord encoding) decode to the
// same records, and re-encode in the current format.
func TestFormatV1StillDecodes(t *testing.T) {
	golden := formatV1Golden(t)
	recs := fullRecords()[:KindNote] // the kinds the first release had (restore, leadership came later)
	for _, want := range recs {
		data := golden[want.Kind.String()]
		if len(data) == 0 || data[0] != FormatV1 {
			t.Fatalf("golden %s missing or not format 1", want.Kind)
		}
		got, err := DecodeRecord(data)
		if err != nil {
			t.Fatalf("decode format 1 %s: %v", want.Kind, err)
		}
		if w := asV1(want); !reflect.DeepEqual(got, w) {
			t.Errorf("format 1 %s decodes to\n%+v\nwant\n%+v", want.Kind, got, w)
		}
		again, err := DecodeRecord(mustEncode(t, &got))
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("format 1 %s does not survive re-encoding in format %d: %v", want.Kind, FormatCurrent, err)
		}
	}
	b, err := DecodeBatch(golden["batch"])
	if err != nil || len(b.Records) != len(recs) {
		t.Fatalf("decode format 1 batch: %d records, %v", len(b.Records), err)
	}
	for i := range recs {
		if w := asV1(recs[i]); !reflect.DeepEqual(b.Records[i], w) {
			t.Errorf("format 1 batch record %d differs", i)
		}
	}
}

// TestUnknownResourceKindIsLoud: a resource kind this build does not know
// (written by a newer release) fails with ErrUnknownKind, never decodes
// to something else.
func TestUnknownResourceKindIsLoud(t *testing.T) {
	r := fullRecords()[0]
	data := mustEncode(t, &r)
	at := payloadStart(t, &r) + 1 + 1 + len(r.Observed.Resource.ID) // change byte, id length, id
	if ResourceKind(data[at]) != ResourceInstance {
		t.Fatalf("kind byte not at offset %d", at)
	}
	data[at] = 200
	if _, err := DecodeRecord(data); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown resource kind: %v, want ErrUnknownKind", err)
	}
	r.Observed.Resource.Kind = ResourceKind(4) // not known to this build
	if _, err := EncodeRecord(nil, &r); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("encode reserved kind: %v, want ErrUnknownKind", err)
	}
}

// TestFormatV2SummaryStillDecodes: a format 2 summary (no Decide inputs)
// decodes; format 2 wrote exactly format 3's bytes up to the inputs.
func TestFormatV2SummaryStillDecodes(t *testing.T) {
	for _, r := range fullRecords() {
		if r.Kind != KindCycleSummary {
			continue
		}
		v2 := withoutInputs(r)
		data, err := EncodeRecordAs(nil, &v2, FormatV3)
		if err != nil {
			t.Fatal(err)
		}
		if data[len(data)-1] != 0 { // the "no inputs" flag closes a format 3 summary
			t.Fatalf("summary without inputs ends with % x", data[len(data)-1])
		}
		data = data[:len(data)-1]
		data[0] = FormatV2
		got, err := DecodeRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalise(got), normalise(v2)) {
			t.Fatalf("format 2 summary decodes to %+v, want %+v", got.Summary, v2.Summary)
		}
	}
}

// TestEncodeAsFormatV1IsTheFirstRelease: while a cluster still has nodes
// of the first release, the leader writes format 1, and what format 1 can
// express encodes to the very bytes that release wrote (captured from it).
func TestEncodeAsFormatV1IsTheFirstRelease(t *testing.T) {
	golden := formatV1Golden(t)
	var v1 []Record
	for _, full := range fullRecords()[:KindNote] { // the kinds format 1 has
		r := asV1(full) // what format 1 can express of it
		v1 = append(v1, r)
		got, err := EncodeRecordAs(nil, &r, FormatV1)
		if err != nil {
			t.Fatalf("encode %s as format 1: %v", r.Kind, err)
		}
		if want := golden[r.Kind.String()]; string(got) != string(want) {
			t.Errorf("%s as format 1:\n got %x\nwant %x", r.Kind, got, want)
		}
	}
	b, err := EncodeBatchAs(&Batch{Records: v1}, FormatV1)
	if err != nil || string(b) != string(golden["batch"]) {
		t.Fatalf("batch as format 1 differs (%v)", err)
	}
}

// TestEncodeAsFormatV1RefusesWhatItCannotSay: a record format 1 cannot
// express is refused with ErrNeedsFormat, never written with less meaning.
func TestEncodeAsFormatV1RefusesWhatItCannotSay(t *testing.T) {
	start := header(KindDecided)
	start.Decided = &Decided{Action: ActionStart, Drift: DriftDrifted, ResourceKind: ResourceInstance}
	outcome := header(KindExecuted)
	outcome.Executed = &Executed{Action: ActionStart}
	for _, r := range []Record{start, outcome} {
		if _, err := EncodeRecordAs(nil, &r, FormatV1); !errors.Is(err, ErrNeedsFormat) {
			t.Errorf("%s with action start as format 1: %v, want ErrNeedsFormat", r.Kind, err)
		}
		if _, err := EncodeRecordAs(nil, &r, FormatV2); err != nil {
			t.Errorf("%s as format 2: %v", r.Kind, err)
		}
	}
	if _, err := EncodeBatchAs(&Batch{Records: []Record{start}}, FormatV1); !errors.Is(err, ErrNeedsFormat) {
		t.Errorf("batch: %v, want ErrNeedsFormat", err)
	}
	for _, r := range fullRecords()[KindNote:KindLeadership] { // restore, leader: format 4
		if _, err := EncodeRecordAs(nil, &r, FormatV3); !errors.Is(err, ErrNeedsFormat) {
			t.Errorf("%s as format 3: %v, want ErrNeedsFormat", r.Kind, err)
		}
		data := mustEncode(t, &r)
		data[0] = FormatV3
		if _, err := DecodeRecord(data); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s in format 3 bytes: %v, want ErrCorrupt", r.Kind, err)
		}
	}
}
