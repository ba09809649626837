package wal

import (
	"fmt"
	"strconv"
	"strings"
)

// VolumeTarget is the typed target of a volume decision: the shape a
// create or modify gives the volume (VolumeType, SizeGiB and, when the
// file sets them, Iops and Throughput), or the instance and device an
// attach puts it on or a detach takes it from (InstanceID, Device).
//
// Format 6 writes it as its own field of the decision. Older formats have
// no field for it: a leader writing one for older nodes writes its text
// form in Decided.Size ("gp3 200GiB 4000iops 250MiB/s", or
// "i-0123456789abcdef0 /dev/sdf"), which is how formats 2 to 5 carried it,
// and Decided.Target reads either.
type VolumeTarget struct {
	VolumeType string `json:"volume_type,omitempty"`
	SizeGiB    int64  `json:"size_gib,omitempty"`
	Iops       int64  `json:"iops,omitempty"`       // 0: the type's default
	Throughput int64  `json:"throughput,omitempty"` // MiB/s; 0: the type's default
	InstanceID string `json:"instance_id,omitempty"`
	Device     string `json:"device,omitempty"`
}

// Attach reports whether t is an attachment (an instance and a device)
// rather than a shape.
func (t VolumeTarget) Attach() bool { return t.InstanceID != "" }

// String is the text form formats 2 to 5 carry in Decided.Size.
func (t VolumeTarget) String() string {
	if t.Attach() {
		return t.InstanceID + " " + t.Device
	}
	s := fmt.Sprintf("%s %dGiB", t.VolumeType, t.SizeGiB)
	if t.Iops > 0 {
		s += fmt.Sprintf(" %diops", t.Iops)
	}
	if t.Throughput > 0 {
		s += fmt.Sprintf(" %dMiB/s", t.Throughput)
	}
	return s
}

// ParseVolumeTarget reads the text form of a target: an attachment for
// attach and detach, a shape for the other actions.
func ParseVolumeTarget(a Action, s string) (VolumeTarget, error) {
	if a == ActionAttach || a == ActionDetach {
		id, dev, ok := strings.Cut(s, " ")
		if !ok || !strings.HasPrefix(id, "i-") || !strings.HasPrefix(dev, "/dev/") {
			return VolumeTarget{}, fmt.Errorf("wal: attach target %q: want \"i-… /dev/…\"", s)
		}
		return VolumeTarget{InstanceID: id, Device: dev}, nil
	}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 4 {
		return VolumeTarget{}, fmt.Errorf("wal: volume target %q: want \"TYPE SIZEGiB [Niops] [NMiB/s]\"", s)
	}
	t := VolumeTarget{VolumeType: f[0]}
	var err error
	if t.SizeGiB, err = suffixed(f[1], "GiB"); err != nil {
		return VolumeTarget{}, fmt.Errorf("wal: volume target %q: %w", s, err)
	}
	for _, w := range f[2:] {
		if strings.HasSuffix(w, "iops") {
			t.Iops, err = suffixed(w, "iops")
		} else {
			t.Throughput, err = suffixed(w, "MiB/s")
		}
		if err != nil {
			return VolumeTarget{}, fmt.Errorf("wal: volume target %q: %w", s, err)
		}
	}
	return t, nil
}

func suffixed(w, suffix string) (int64, error) {
	num, ok := strings.CutSuffix(w, suffix)
	if !ok {
		return 0, fmt.Errorf("%q does not end in %s", w, suffix)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive number of %s", w, suffix)
	}
	return n, nil
}

// Target is the decision's volume target: the typed field a format-6
// record carries, else the text an older one carried in Size. ok is false
// for a decision without one (not a volume create, modify, attach or
// detach).
func (p *Decided) Target() (t VolumeTarget, ok bool, err error) {
	if p.Volume != nil {
		return *p.Volume, true, nil
	}
	if p.ResourceKind != ResourceVolume || !carriesTarget(p.Action) || p.Size == "" {
		return VolumeTarget{}, false, nil
	}
	t, err = ParseVolumeTarget(p.Action, p.Size)
	return t, err == nil, err
}

// SizeText is what the decision's Size says in words, whichever format
// wrote it: Size, or the text form of the typed volume target.
func (p *Decided) SizeText() string {
	if p.Size == "" && p.Volume != nil {
		return p.Volume.String()
	}
	return p.Size
}

// carriesTarget reports whether a volume decision with action a has a
// target.
func carriesTarget(a Action) bool {
	switch a {
	case ActionCreate, ActionModify, ActionAttach, ActionDetach:
		return true
	}
	return false
}

// decidedSize writes Size. Before format 6 a typed target goes in its
// text form, which must not contradict a Size the record also sets.
func (e *encoder) decidedSize(p *Decided) {
	if e.version >= FormatV6 || p.Volume == nil {
		e.str("decided.size", p.Size)
		return
	}
	text := p.Volume.String()
	e.needs(p.Size == "" || p.Size == text, "decision", "both a size and a volume target")
	e.str("decided.size", text)
}

// volumeTarget writes the format-6 target: a presence byte, then its fields.
func (e *encoder) volumeTarget(t *VolumeTarget) {
	e.bool(t != nil)
	if t == nil {
		return
	}
	e.str("decided.volume.volume_type", t.VolumeType)
	e.varint(t.SizeGiB)
	e.varint(t.Iops)
	e.varint(t.Throughput)
	e.str("decided.volume.instance_id", t.InstanceID)
	e.str("decided.volume.device", t.Device)
}

func (d *decoder) volumeTarget() *VolumeTarget {
	if !d.bool("decided.volume") {
		return nil
	}
	t := &VolumeTarget{
		VolumeType: d.str("decided.volume.volume_type"),
		SizeGiB:    d.varint("decided.volume.size_gib"),
		Iops:       d.varint("decided.volume.iops"),
		Throughput: d.varint("decided.volume.throughput"),
		InstanceID: d.str("decided.volume.instance_id"),
		Device:     d.str("decided.volume.device"),
	}
	if d.err != nil {
		return nil
	}
	return t
}
