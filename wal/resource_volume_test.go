package wal

import (
	"reflect"
	"testing"
)

func volumeResource() Resource {
	return Resource{
		ID: "vol-0123456789abcdef0", Kind: ResourceVolume, State: "in-use", Managed: true, Group: "prod-database",
		Tags: map[string]string{TagManaged: "true", TagGroup: "prod-database", TagBlessed: "true"},
		Volume: &Volume{AvailabilityZone: "us-east-1a", SizeGiB: 100, VolumeType: "gp3", Iops: 3000, Throughput: 125,
			Encrypted: true, AttachedTo: "i-0123456789abcdef0", Device: "/dev/sdf", AttachmentState: "attached",
			LaunchTime: fixtureTime().UnixNano()},
	}
}

func TestVolumeRoundTrips(t *testing.T) {
	obs := header(KindObserved)
	obs.Observed = &Observed{Change: ChangeNew, Resource: volumeResource()}
	cfg := header(KindConfigApplied)
	c := fullConfig()
	c.Resources = []Spec{{Kind: ResourceVolume, Name: "prod-database", Tags: map[string]string{TagBlessed: "true"},
		Volume: &VolumeSpec{AvailabilityZone: "us-east-1a", SizeGiB: 100, VolumeType: "io2", Iops: 5000,
			Encrypted: true, AttachTo: "db", Device: "/dev/sdf"}}}
	cfg.Config = &ConfigApplied{Source: "infrastructure.yaml", Digest: "ab", Config: c}
	dec := header(KindDecided)
	dec.Decided = &Decided{Action: ActionAttach, Drift: DriftDrifted, ResourceKind: ResourceVolume,
		Reason: "Attach: attach_to db", Group: "prod-database", Size: "i-0123456789abcdef0 /dev/sdf"}
	for _, rec := range []Record{obs, cfg, dec} {
		b, err := EncodeRecord(nil, &rec)
		if err != nil {
			t.Fatalf("encode %s: %v", rec.Kind, err)
		}
		got, err := DecodeRecord(b)
		if err != nil {
			t.Fatalf("decode %s: %v", rec.Kind, err)
		}
		if want := normalise(rec); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s round trip\n got %+v\nwant %+v", rec.Kind, got, want)
		}
	}
}

func TestVolumeNeedsItsPayload(t *testing.T) {
	obs := header(KindObserved)
	r := volumeResource()
	r.Volume = nil
	obs.Observed = &Observed{Change: ChangeNew, Resource: r}
	if _, err := EncodeRecord(nil, &obs); err == nil {
		t.Fatal("a volume without its payload encoded")
	}
	r.Volume, r.Instance = volumeResource().Volume, &Instance{Size: "t3.micro"}
	obs.Observed.Resource = r
	if _, err := EncodeRecord(nil, &obs); err == nil {
		t.Fatal("a volume with an instance payload as well encoded")
	}
}

func TestVolumeAttributesAndSummary(t *testing.T) {
	r := volumeResource()
	if got := r.Summary(); got != "gp3 100GiB" {
		t.Fatalf("Summary = %q", got)
	}
	attrs := r.Attributes()
	if len(attrs) != 8 || attrs[1] != (Attribute{"size_gib", "100"}) || attrs[6] != (Attribute{"attached_to", "i-0123456789abcdef0"}) {
		t.Fatalf("Attributes = %v", attrs)
	}
}
