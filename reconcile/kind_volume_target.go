package reconcile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// VolumeTarget is the shape a volume create or modify decides: written in
// the decision's Size field in its text form ("gp3 200GiB 4000iops
// 250MiB/s"; IOPS and throughput only when the file sets them), so the
// decision record says what it decided and its executor, or a recovery,
// reads it back with ParseVolumeTarget.
type VolumeTarget struct {
	VolumeType string
	SizeGiB    int64
	Iops       int64 // 0: the type's default
	Throughput int64 // MiB/s; 0: the type's default
}

// String is the text form.
func (t VolumeTarget) String() string {
	s := fmt.Sprintf("%s %dGiB", t.VolumeType, t.SizeGiB)
	if t.Iops > 0 {
		s += fmt.Sprintf(" %diops", t.Iops)
	}
	if t.Throughput > 0 {
		s += fmt.Sprintf(" %dMiB/s", t.Throughput)
	}
	return s
}

// ParseVolumeTarget reads the text form.
func ParseVolumeTarget(s string) (VolumeTarget, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 4 {
		return VolumeTarget{}, fmt.Errorf("reconcile: volume target %q: want \"TYPE SIZEGiB [Niops] [NMiB/s]\"", s)
	}
	t := VolumeTarget{VolumeType: f[0]}
	var err error
	if t.SizeGiB, err = suffixed(f[1], "GiB"); err != nil {
		return VolumeTarget{}, fmt.Errorf("reconcile: volume target %q: %w", s, err)
	}
	for _, w := range f[2:] {
		switch {
		case strings.HasSuffix(w, "iops"):
			t.Iops, err = suffixed(w, "iops")
		default:
			t.Throughput, err = suffixed(w, "MiB/s")
		}
		if err != nil {
			return VolumeTarget{}, fmt.Errorf("reconcile: volume target %q: %w", s, err)
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

// reachedBy reports whether v has the target shape (a size at least the
// target's: a grown volume has reached a smaller target too).
func (t VolumeTarget) reachedBy(v *wal.Volume) bool {
	return v.VolumeType == t.VolumeType && v.SizeGiB >= t.SizeGiB &&
		(t.Iops == 0 || v.Iops == t.Iops) && (t.Throughput == 0 || v.Throughput == t.Throughput)
}

// AttachTarget is where an attach or detach decision puts or takes a
// volume, in the decision's Size field as "i-0123456789abcdef0 /dev/sdf".
type AttachTarget struct {
	InstanceID string
	Device     string
}

// String is the text form.
func (t AttachTarget) String() string { return t.InstanceID + " " + t.Device }

// ParseAttachTarget reads the text form.
func ParseAttachTarget(s string) (AttachTarget, error) {
	id, dev, ok := strings.Cut(s, " ")
	if !ok || !strings.HasPrefix(id, "i-") || !strings.HasPrefix(dev, "/dev/") {
		return AttachTarget{}, fmt.Errorf("reconcile: attach target %q: want \"i-… /dev/…\"", s)
	}
	return AttachTarget{InstanceID: id, Device: dev}, nil
}
