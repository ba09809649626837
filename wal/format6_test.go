package wal

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// updateGolden rewrites testdata/format-v6.hex: go test ./wal/ -run FormatV6Golden -update
var updateGolden = flag.Bool("update", false, "rewrite wal/testdata/format-v6.hex from the current encoder")

// asV5 is what a format 5 encoding of r decodes to: an instance has no
// zone, a decision no typed volume target (the fixture's decision has a
// Size of its own, so its target has nowhere to go in format 5).
func asV5(r Record) Record {
	r = normalise(r)
	if r.Observed != nil && r.Observed.Resource.Instance != nil {
		o := *r.Observed
		inst := *o.Resource.Instance
		inst.AvailabilityZone = ""
		o.Resource.Instance = &inst
		r.Observed = &o
	}
	if r.Decided != nil {
		d := *r.Decided
		d.Volume = nil
		r.Decided = &d
	}
	return r
}

// TestFormatV6Golden pins format 6: every kind and the batch encode to the
// bytes in testdata/format-v6.hex, and decode back to the fixtures.
func TestFormatV6Golden(t *testing.T) {
	recs := fullRecords()
	got := encodeAll(t, recs, FormatV6)
	if *updateGolden {
		var sb strings.Builder
		for _, r := range recs {
			fmt.Fprintf(&sb, "%s %x\n", r.Kind, got[r.Kind.String()])
		}
		fmt.Fprintf(&sb, "batch %x\n", got["batch"])
		if err := os.WriteFile("testdata/format-v6.hex", []byte(sb.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	golden := readHexGolden(t, "testdata/format-v6.hex")
	if len(golden) != len(recs)+1 {
		t.Fatalf("golden has %d encodings, want %d (rewrite with -update)", len(golden), len(recs)+1)
	}
	for name, want := range golden {
		if string(got[name]) != string(want) {
			t.Errorf("%s as format 6:\n got %x\nwant %x", name, got[name], want)
		}
	}
	for _, want := range recs {
		r, err := DecodeRecord(golden[want.Kind.String()])
		if err != nil || !reflect.DeepEqual(r, normalise(want)) {
			t.Errorf("format 6 %s decodes to %+v (%v)", want.Kind, r, err)
		}
	}
}

// volumeDecision is a modify of a volume with its typed target only.
func volumeDecision(a Action, t VolumeTarget) Record {
	r := header(KindDecided)
	r.ResourceID = "vol-0123456789abcdef0"
	r.Decided = &Decided{Action: a, Drift: DriftDrifted, ResourceKind: ResourceVolume, Group: "data",
		Reason: "Modify: size differs", Volume: &t}
	return r
}

// TestVolumeTargetAcrossFormats: format 6 carries the typed target and no
// text; format 5 carries the text in Size, from which Target reads the
// same target; both describe the same size in words.
func TestVolumeTargetAcrossFormats(t *testing.T) {
	for _, c := range []struct {
		action Action
		target VolumeTarget
		text   string
	}{
		{ActionModify, VolumeTarget{VolumeType: "gp3", SizeGiB: 200, Iops: 4000, Throughput: 250}, "gp3 200GiB 4000iops 250MiB/s"},
		{ActionCreate, VolumeTarget{VolumeType: "io2", SizeGiB: 8}, "io2 8GiB"},
		{ActionAttach, VolumeTarget{InstanceID: "i-0a", Device: "/dev/sdf"}, "i-0a /dev/sdf"},
		{ActionDetach, VolumeTarget{InstanceID: "i-0b", Device: "/dev/xvdg"}, "i-0b /dev/xvdg"},
	} {
		r := volumeDecision(c.action, c.target)
		v6 := decodeAs(t, &r, FormatV6)
		v5 := decodeAs(t, &r, FormatV5)
		if v6.Decided.Size != "" || v6.Decided.Volume == nil || *v6.Decided.Volume != c.target {
			t.Errorf("%s format 6: size %q, target %+v", c.action, v6.Decided.Size, v6.Decided.Volume)
		}
		if v5.Decided.Size != c.text || v5.Decided.Volume != nil {
			t.Errorf("%s format 5: size %q, target %+v; want the text %q", c.action, v5.Decided.Size, v5.Decided.Volume, c.text)
		}
		for _, d := range []*Decided{v5.Decided, v6.Decided} {
			got, ok, err := d.Target()
			if err != nil || !ok || got != c.target {
				t.Errorf("%s Target() = %+v, %v, %v; want %+v", c.action, got, ok, err, c.target)
			}
			if d.SizeText() != c.text {
				t.Errorf("%s SizeText() = %q, want %q", c.action, d.SizeText(), c.text)
			}
		}
	}
}

// TestVolumeTargetContradictingSizeNeedsFormatV6: a decision with a Size
// and a different typed target cannot be said in format 5.
func TestVolumeTargetContradictingSizeNeedsFormatV6(t *testing.T) {
	r := volumeDecision(ActionModify, VolumeTarget{VolumeType: "gp3", SizeGiB: 20})
	r.Decided.Size = "gp3 10GiB"
	if _, err := EncodeRecordAs(nil, &r, FormatV5); !errors.Is(err, ErrNeedsFormat) {
		t.Errorf("contradicting size as format 5: %v, want ErrNeedsFormat", err)
	}
	r.Decided.Size = "gp3 20GiB"
	if got := decodeAs(t, &r, FormatV5); got.Decided.Size != "gp3 20GiB" {
		t.Errorf("agreeing size as format 5: %q", got.Decided.Size)
	}
}

// TestTargetOfOtherDecisions: an instance decision's Size is no volume
// target, and a volume target text that does not parse is an error.
func TestTargetOfOtherDecisions(t *testing.T) {
	inst := Decided{Action: ActionResize, ResourceKind: ResourceInstance, Size: "t3.small"}
	if _, ok, err := inst.Target(); ok || err != nil {
		t.Errorf("instance resize: target %v, %v", ok, err)
	}
	bad := Decided{Action: ActionAttach, ResourceKind: ResourceVolume, Size: "somewhere"}
	if _, _, err := bad.Target(); err == nil {
		t.Error("attach target without an instance parsed")
	}
	if _, err := ParseVolumeTarget(ActionModify, "gp3 huge"); err == nil {
		t.Error("volume target gp3 huge parsed")
	}
}

// TestInstanceZoneNeedsFormatV6: format 6 records an instance's zone,
// format 5 leaves it out, and a zone one side lacks is no change.
func TestInstanceZoneNeedsFormatV6(t *testing.T) {
	r := fullRecords()[KindObserved-1]
	v6, v5 := decodeAs(t, &r, FormatV6), decodeAs(t, &r, FormatV5)
	if z := v6.Observed.Resource.Instance.AvailabilityZone; z != "eu-west-1a" {
		t.Errorf("format 6 zone %q", z)
	}
	if z := v5.Observed.Resource.Instance.AvailabilityZone; z != "" {
		t.Errorf("format 5 zone %q, want none", z)
	}
	if !v5.Observed.Resource.Equal(&v6.Observed.Resource) {
		t.Error("a zone format 5 did not record counts as a change")
	}
	other := v6.Observed.Resource
	inst := *other.Instance
	inst.AvailabilityZone = "eu-west-1b"
	other.Instance = &inst
	if other.Equal(&v6.Observed.Resource) {
		t.Error("a different zone is no change")
	}
}

func decodeAs(t *testing.T, r *Record, format byte) Record {
	t.Helper()
	b, err := EncodeRecordAs(nil, r, format)
	if err != nil {
		t.Fatalf("encode %s as format %d: %v", r.Kind, format, err)
	}
	got, err := DecodeRecord(b)
	if err != nil {
		t.Fatalf("decode format %d: %v", format, err)
	}
	return got
}
