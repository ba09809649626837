package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// attachmentChange compares where the volume is attached with attach_to: a
// detach (disruptive: the instance loses the disk) when it is attached
// elsewhere or attach_to is unset, an attach to the first kept member of
// the group when it is detached, a hold while that cannot happen yet.
func attachmentChange(s *wal.VolumeSpec, r *wal.Resource, members func(wal.ResourceKind, string) []*wal.Resource) (Change, bool) {
	v := r.Volume
	device := s.Device
	if device == "" {
		device = defaultDevice
	}
	if v.AttachedTo != "" {
		ids := memberIDs(members(wal.ResourceInstance, s.AttachTo))
		if s.AttachTo != "" && slices.Contains(ids, v.AttachedTo) && v.Device == device {
			return Change{}, false
		}
		if s.AttachTo != "" && len(ids) == 0 {
			return Change{}, false // the group's members are not known here: leave the attachment
		}
		want := "attach_to unset"
		if s.AttachTo != "" {
			want = fmt.Sprintf("want a member of %s at %s", s.AttachTo, device)
		}
		detail := fmt.Sprintf("attached to %s at %s, %s", v.AttachedTo, v.Device, want)
		return Change{Attribute: "attachment", Disruptive: true, Detail: detail, Disruption: "a detach takes the disk from its instance",
			Repair: volumeAction(wal.ActionDetach, attachment(v.AttachedTo, v.Device), "Detach: attachment differs ("+detail+")")}, true
	}
	if s.AttachTo == "" {
		return Change{}, false
	}
	return attachTo(s.AttachTo, device, r, members(wal.ResourceInstance, s.AttachTo)), true
}

// attachTo is the attach of a detached volume to the group's first kept
// member that can take it, or a hold saying what it waits for. EBS attaches
// a volume only within its Availability Zone: when every live member runs
// in another zone the attach is refused with that reason (EC2 would answer
// InvalidVolume.ZoneMismatch on every cycle). A member whose zone is not
// known (observed before format 6) is tried.
func attachTo(group, device string, r *wal.Resource, ms []*wal.Resource) Change {
	hold := func(why string) Change {
		return Change{Attribute: "attachment", Repair: PlannedAction{Action: wal.ActionHold,
			Reason: fmt.Sprintf("Held: attach_to %s waits: %s", group, why)}}
	}
	if r.State != "available" {
		return hold("the volume is " + r.State)
	}
	zone := r.Volume.AvailabilityZone
	var elsewhere []string
	waiting := false
	for _, m := range ms {
		switch z := zoneOf(m); {
		case z != "" && zone != "" && z != zone:
			elsewhere = append(elsewhere, m.ID+" in "+z)
		case m.State == "running" || m.State == "stopped":
			return Change{Attribute: "attachment", Repair: volumeAction(wal.ActionAttach, attachment(m.ID, device),
				fmt.Sprintf("Attach: attach_to %s (%s at %s)", group, m.ID, device))}
		default:
			waiting = true
		}
	}
	switch {
	case len(ms) == 0:
		return hold("no live instance in group " + group)
	case waiting:
		return hold("no running instance in group " + group + " yet")
	}
	return refusal("attachment", fmt.Sprintf("Refused: attach_to %s has no instance in %s (%s), and EBS attaches a volume only within its availability zone (InvalidVolume.ZoneMismatch)",
		group, zone, strings.Join(elsewhere, ", ")))
}

// zoneOf is an instance's Availability Zone, "" when not known.
func zoneOf(r *wal.Resource) string {
	if r.Instance == nil {
		return ""
	}
	return r.Instance.AvailabilityZone
}

func memberIDs(rs []*wal.Resource) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}
