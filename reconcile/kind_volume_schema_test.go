package reconcile

import (
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

func TestParseVolumeEntry(t *testing.T) {
	src := `version: v1
provider: aws
region: us-east-1
resources:
  - name: db
    type: ec2
    count: 1
    size: t3.micro
  - type: ebs_volume
    name: prod-database
    availability_zone: us-east-1a
    size_gib: 100
    volume_type: io2
    iops: 5000
    encrypted: true
    attach_to: db
    device: /dev/sdf
    tags:
      ovi:blessed: true
`
	ca, err := ParseConfig("infrastructure.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := ca.Config
	if len(c.Groups) != 1 || len(c.Resources) != 1 {
		t.Fatalf("groups %d, resources %d", len(c.Groups), len(c.Resources))
	}
	s := c.Resources[0]
	want := wal.VolumeSpec{AvailabilityZone: "us-east-1a", SizeGiB: 100, VolumeType: "io2", Iops: 5000, Encrypted: true, AttachTo: "db", Device: "/dev/sdf"}
	if s.Kind != wal.ResourceVolume || s.Name != "prod-database" || *s.Volume != want || s.Tags[wal.TagBlessed] != "true" {
		t.Fatalf("spec %+v %+v", s, s.Volume)
	}
	if u, ok := DefaultKinds().Unit(&c, wal.ResourceVolume, "prod-database"); !ok || u.Count != 1 || u.Spec == nil {
		t.Fatalf("unit %+v, %v", u, ok)
	}
}

func TestParseVolumeEntryErrors(t *testing.T) {
	src := `version: v1
provider: aws
region: us-east-1
resources:
  - type: ebs_volume
    name: a
    availability_zone: us-east-1
    size_gib: 0
    volume_type: gp9
  - type: ebs_volume
    name: b
    availability_zone: us-east-1a
    size_gib: 10
    volume_type: gp2
    iops: 300
    device: /dev/sdf
  - type: ebs_volume
    name: c
    availability_zone: us-east-1a
    size_gib: 10
    volume_type: io1
    colour: blue
  - type: ebs_volume
    name: e
    availability_zone: us-east-1a
    size_gib: 10
  - type: ebs_volume
    name: e
    availability_zone: us-east-1b
    size_gib: 20
`
	_, err := ParseConfig("infrastructure.yaml", []byte(src))
	want := []string{
		`infrastructure.yaml:7:24: invalid availability_zone "us-east-1" (expected a zone like us-east-1a)`,
		`infrastructure.yaml:8:15: size_gib must be between 1 and 65536 (got 0)`,
		`infrastructure.yaml:9:18: unknown volume_type "gp9" (supported: gp2, gp3, io1, io2, st1, sc1)`,
		`infrastructure.yaml:15:11: iops is not supported for gp2 volumes (only gp3, io1, io2)`,
		`infrastructure.yaml:16:13: device needs attach_to (the instance group the volume is attached to)`,
		`infrastructure.yaml:22:5: unknown key "colour"`,
		`infrastructure.yaml:21:18: io1 volumes need iops`,
		`infrastructure.yaml:28:11: duplicate group name "e"`,
	}
	if err == nil {
		t.Fatal("bad volumes parsed")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
}
