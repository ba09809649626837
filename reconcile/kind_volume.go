package reconcile

import (
	"fmt"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// defaultDevice is where a volume is attached when the file names no device.
const defaultDevice = "/dev/sdf"

// VolumeKind is the EBS volume kind (type: ebs_volume): named resources,
// one volume each. Size (grow only), type, IOPS and throughput are changed
// in place with one Modify; the attachment follows attach_to (an instance
// group of the file: its first kept member carries the volume); encryption
// and zone cannot change in place and are refused with their reason. Its
// schema is kind_volume_schema.go; its observer and executor are the aws
// package's volume kind.
type VolumeKind struct{}

// Resource implements Kind.
func (VolumeKind) Resource() wal.ResourceKind { return wal.ResourceVolume }

// DependsOn implements Kind: a volume is attached to instances, so instance
// creates come first and volume deletes (after their detach) before
// instance deletes.
func (VolumeKind) DependsOn() []wal.ResourceKind { return []wal.ResourceKind{wal.ResourceInstance} }

// Units implements Kind: one unit per ebs_volume entry.
func (VolumeKind) Units(cfg *wal.Config) []Unit {
	var units []Unit
	for i := range cfg.Resources {
		s := &cfg.Resources[i]
		if s.Kind == wal.ResourceVolume && s.Volume != nil {
			units = append(units, Unit{Kind: wal.ResourceVolume, Name: s.Name, Count: 1, Tags: s.Tags, Spec: s})
		}
	}
	return units
}

// Diff implements Kind without a view of other units: tags, the volume's
// shape, and a detach when the file no longer asks for an attachment.
func (k VolumeKind) Diff(u *Unit, r *wal.Resource) []Change {
	return k.DiffAmong(u, r, func(wal.ResourceKind, string) []*wal.Resource { return nil })
}

// DiffAmong implements referencingKind: Diff with the kept members of other
// units at hand, to follow attach_to.
func (VolumeKind) DiffAmong(u *Unit, r *wal.Resource, members func(wal.ResourceKind, string) []*wal.Resource) []Change {
	if r.Volume == nil || u.Spec == nil || u.Spec.Volume == nil {
		return nil
	}
	var out []Change
	if set, remove := tagDiff(u.Tags, r.Tags); len(set) > 0 || len(remove) > 0 {
		out = append(out, Change{Attribute: "tags", Repair: PlannedAction{
			Action: wal.ActionUpdateTags, SetTags: set, RemoveTags: remove,
			Reason: "Update: tags differ (" + tagChanges(r.Tags, set, remove) + ")",
		}})
	}
	out = append(out, shapeChanges(u.Spec.Volume, r.Volume)...)
	if ch, ok := attachmentChange(u.Spec.Volume, r, members); ok {
		out = append(out, ch)
	}
	return out
}

// Create implements Kind: one CreateVolume.
func (VolumeKind) Create(u *Unit, _ int) PlannedAction {
	s := u.Spec.Volume
	a := volumeAction(wal.ActionCreate, wal.VolumeTarget{VolumeType: s.VolumeType, SizeGiB: s.SizeGiB, Iops: s.Iops, Throughput: s.Throughput},
		fmt.Sprintf("Create: volume %s missing (%s %dGiB in %s)", u.Name, s.VolumeType, s.SizeGiB, s.AvailabilityZone))
	a.Drift, a.Kind, a.Group, a.Count, a.SetTags = wal.DriftMissing, wal.ResourceVolume, u.Name, 1, launchTags(u.Name, u.Tags)
	return a
}

// BeforeDelete implements predeleteKind: an attached volume is detached
// first; EBS refuses to delete it before (VolumeInUse).
func (VolumeKind) BeforeDelete(r *wal.Resource) (PlannedAction, bool) {
	v := r.Volume
	if v == nil || v.AttachedTo == "" {
		return PlannedAction{}, false
	}
	return volumeAction(wal.ActionDetach, attachment(v.AttachedTo, v.Device),
		fmt.Sprintf("Detach: from %s at %s before the volume is deleted", v.AttachedTo, v.Device)), true
}

// Settled implements settler: whether an interrupted modify, attach or
// detach already took effect on the observed volume.
func (VolumeKind) Settled(a PlannedAction, r *wal.Resource) bool {
	v := r.Volume
	if v == nil {
		return false
	}
	switch a.Action {
	case wal.ActionModify:
		t, err := a.Target()
		return err == nil && reached(t, v)
	case wal.ActionAttach:
		t, err := a.Target()
		return err == nil && v.AttachedTo == t.InstanceID
	case wal.ActionDetach:
		return v.AttachedTo == ""
	}
	return false
}

// shapeChanges compares size, type, IOPS and throughput (one Modify for all
// of them: EBS allows one modification per volume every six hours), and
// refuses what cannot change in place.
func shapeChanges(s *wal.VolumeSpec, v *wal.Volume) []Change {
	var out []Change
	target := wal.VolumeTarget{VolumeType: v.VolumeType, SizeGiB: v.SizeGiB}
	var diffs []string
	if s.SizeGiB < v.SizeGiB {
		out = append(out, refusal("size_gib", fmt.Sprintf("Refused: size_gib differs (%d → %d), but an EBS volume never shrinks (create a smaller one and copy the data)", v.SizeGiB, s.SizeGiB)))
	} else if s.SizeGiB > v.SizeGiB {
		target.SizeGiB = s.SizeGiB
		diffs = append(diffs, fmt.Sprintf("size_gib %d → %d", v.SizeGiB, s.SizeGiB))
	}
	if s.VolumeType != "" && s.VolumeType != v.VolumeType {
		target.VolumeType = s.VolumeType
		diffs = append(diffs, fmt.Sprintf("volume_type %s → %s", v.VolumeType, s.VolumeType))
	}
	if s.Iops != 0 && (s.Iops != v.Iops || target.VolumeType != v.VolumeType) {
		target.Iops = s.Iops
		if s.Iops != v.Iops {
			diffs = append(diffs, fmt.Sprintf("iops %d → %d", v.Iops, s.Iops))
		}
	}
	if s.Throughput != 0 && (s.Throughput != v.Throughput || target.VolumeType != v.VolumeType) {
		target.Throughput = s.Throughput
		if s.Throughput != v.Throughput {
			diffs = append(diffs, fmt.Sprintf("throughput %d → %d", v.Throughput, s.Throughput))
		}
	}
	if len(diffs) > 0 {
		out = append(out, Change{Attribute: "shape", Repair: volumeAction(wal.ActionModify, target, "Modify: "+strings.Join(diffs, ", "))})
	}
	if s.Encrypted != v.Encrypted {
		out = append(out, refusal("encrypted", fmt.Sprintf("Refused: encrypted differs (%t → %t), but EBS cannot change encryption in place (replace the volume from a snapshot)", v.Encrypted, s.Encrypted)))
	}
	if s.AvailabilityZone != v.AvailabilityZone {
		out = append(out, refusal("availability_zone", fmt.Sprintf("Refused: availability_zone differs (%s → %s), but a volume cannot move between zones", v.AvailabilityZone, s.AvailabilityZone)))
	}
	return out
}

// refusal is a Change that cannot be repaired, with its reason.
func refusal(attr, reason string) Change {
	return Change{Attribute: attr, Repair: PlannedAction{Action: wal.ActionRefuse, Reason: reason}}
}
