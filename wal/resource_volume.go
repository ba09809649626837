package wal

import (
	"fmt"
	"strconv"
)

// Volume is the attribute payload of an EBS volume (ResourceVolume). The
// volume state (creating, available, in-use, ...) is the envelope's State.
type Volume struct {
	AvailabilityZone string `json:"availability_zone"`
	SizeGiB          int64  `json:"size_gib"`
	VolumeType       string `json:"volume_type"`          // gp2, gp3, io1, io2, st1, sc1
	Iops             int64  `json:"iops,omitempty"`       // provisioned (or gp2's baseline); 0 for st1, sc1
	Throughput       int64  `json:"throughput,omitempty"` // MiB/s, gp3 only
	Encrypted        bool   `json:"encrypted,omitempty"`
	// AttachedTo is the instance the volume is attached to ("" when
	// detached), at Device, in AttachmentState (attaching, attached,
	// detaching).
	AttachedTo      string `json:"attached_to,omitempty"`
	Device          string `json:"device,omitempty"`
	AttachmentState string `json:"attachment_state,omitempty"`
	LaunchTime      int64  `json:"create_time,omitempty"` // Unix nanoseconds
}

// VolumeSpec is the desired-attribute payload of a named EBS volume
// (type: ebs_volume). Zero Iops or Throughput leave the type's default;
// AttachTo names an instance group of the file (its oldest member in the
// volume's zone carries the volume at Device).
type VolumeSpec struct {
	AvailabilityZone string `json:"availability_zone"`
	SizeGiB          int64  `json:"size_gib"`
	VolumeType       string `json:"volume_type"`
	Iops             int64  `json:"iops,omitempty"`
	Throughput       int64  `json:"throughput,omitempty"`
	Encrypted        bool   `json:"encrypted,omitempty"`
	AttachTo         string `json:"attach_to,omitempty"`
	Device           string `json:"device,omitempty"`
}

func (p *Volume) attributes() []Attribute {
	return []Attribute{{"availability_zone", p.AvailabilityZone}, {"size_gib", strconv.FormatInt(p.SizeGiB, 10)},
		{"volume_type", p.VolumeType}, {"iops", strconv.FormatInt(p.Iops, 10)},
		{"throughput", strconv.FormatInt(p.Throughput, 10)}, {"encrypted", strconv.FormatBool(p.Encrypted)},
		{"attached_to", p.AttachedTo}, {"device", p.Device}}
}

// summary is "gp3 100GiB", the volume in a word.
func (p *Volume) summary() string { return fmt.Sprintf("%s %dGiB", p.VolumeType, p.SizeGiB) }

func (p *Volume) equal(q *Volume) bool {
	if p == nil || q == nil {
		return p == q
	}
	return *p == *q
}

func (e *encoder) volume(p *Volume) {
	e.str("volume.availability_zone", p.AvailabilityZone)
	e.varint(p.SizeGiB)
	e.str("volume.volume_type", p.VolumeType)
	e.varint(p.Iops)
	e.varint(p.Throughput)
	e.bool(p.Encrypted)
	e.str("volume.attached_to", p.AttachedTo)
	e.str("volume.device", p.Device)
	e.str("volume.attachment_state", p.AttachmentState)
	e.varint(p.LaunchTime)
}

func (d *decoder) volume() *Volume {
	return &Volume{
		AvailabilityZone: d.str("volume.availability_zone"),
		SizeGiB:          d.varint("volume.size_gib"),
		VolumeType:       d.str("volume.volume_type"),
		Iops:             d.varint("volume.iops"),
		Throughput:       d.varint("volume.throughput"),
		Encrypted:        d.bool("volume.encrypted"),
		AttachedTo:       d.str("volume.attached_to"),
		Device:           d.str("volume.device"),
		AttachmentState:  d.str("volume.attachment_state"),
		LaunchTime:       d.varint("volume.create_time"),
	}
}

func (e *encoder) volumeSpec(p *VolumeSpec) {
	e.str("volume_spec.availability_zone", p.AvailabilityZone)
	e.varint(p.SizeGiB)
	e.str("volume_spec.volume_type", p.VolumeType)
	e.varint(p.Iops)
	e.varint(p.Throughput)
	e.bool(p.Encrypted)
	e.str("volume_spec.attach_to", p.AttachTo)
	e.str("volume_spec.device", p.Device)
}

func (d *decoder) volumeSpec() *VolumeSpec {
	return &VolumeSpec{
		AvailabilityZone: d.str("volume_spec.availability_zone"),
		SizeGiB:          d.varint("volume_spec.size_gib"),
		VolumeType:       d.str("volume_spec.volume_type"),
		Iops:             d.varint("volume_spec.iops"),
		Throughput:       d.varint("volume_spec.throughput"),
		Encrypted:        d.bool("volume_spec.encrypted"),
		AttachTo:         d.str("volume_spec.attach_to"),
		Device:           d.str("volume_spec.device"),
	}
}
