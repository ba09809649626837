package reconcile

import "github.com/yairfalse/ovi/wal"

// reached reports whether v has the shape target t (a size at least the
// target's: a grown volume has reached a smaller target too).
func reached(t wal.VolumeTarget, v *wal.Volume) bool {
	return v.VolumeType == t.VolumeType && v.SizeGiB >= t.SizeGiB &&
		(t.Iops == 0 || v.Iops == t.Iops) && (t.Throughput == 0 || v.Throughput == t.Throughput)
}

// attachment is the target of an attach or detach: instance id at device.
func attachment(id, device string) wal.VolumeTarget {
	return wal.VolumeTarget{InstanceID: id, Device: device}
}
