package reconcile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// maxReasonTags bounds how many tag changes a reason spells out.
const maxReasonTags = 5

// decideDrift compares one kept member with its unit through the kind's
// Diff: every change in place is made; a disruptive one only under policy
// allow_disruptive and never on a blessed resource. A resource drifting in
// several attributes gets one action per attribute and counts once.
func (s *decision) decideDrift(b *bucket, r *wal.Resource) {
	changes := s.diff(b, r)
	if len(changes) == 0 {
		s.count(b.key.kind).InSync++
		return
	}
	s.count(b.key.kind).Drifted++
	for _, ch := range changes {
		a := ch.Repair
		a.Drift, a.Kind, a.Group, a.ResourceID = wal.DriftDrifted, b.key.kind, b.key.name, r.ID
		switch {
		case !ch.Disruptive:
			a = s.unlessFailed(a)
		case r.Blessed():
			s.count(b.key.kind).Protected++
			a.Action = wal.ActionRefuse
			a.Reason = fmt.Sprintf("Protected: tagged ovi:blessed (%s differs: %s; %s)", ch.Attribute, ch.Detail, ch.Disruption)
		case !s.policy.AllowDisruptive:
			a.Action = wal.ActionRefuse
			a.Reason = fmt.Sprintf("Refused: %s differs (%s), but policy allow_disruptive is false", ch.Attribute, ch.Detail)
		default:
			a = s.unlessFailed(a)
		}
		s.add(a)
	}
}

// referencingKind is implemented by a Kind whose resources reference
// members of other units (a volume attached to an instance of a group):
// its diff sees their kept members, sorted keep-first, live only.
type referencingKind interface {
	DiffAmong(u *Unit, r *wal.Resource, members func(k wal.ResourceKind, unit string) []*wal.Resource) []Change
}

// diff is the kind's Diff of a kept member.
func (s *decision) diff(b *bucket, r *wal.Resource) []Change {
	if rk, ok := b.handler.(referencingKind); ok {
		return rk.DiffAmong(b.unit, r, s.keptMembers)
	}
	return b.handler.Diff(b.unit, r)
}

// keptMembers lists the members a desired unit keeps (its first Count,
// blessed then oldest then id), whatever order buckets are decided in.
func (s *decision) keptMembers(k wal.ResourceKind, unit string) []*wal.Resource {
	b, ok := s.buckets[unitKey{k, unit}]
	if !ok || b.unit == nil {
		return nil
	}
	ms := slices.Clone(b.members)
	sortKeepFirst(ms)
	out := make([]*wal.Resource, 0, min(len(ms), b.unit.Count))
	for _, m := range ms[:min(len(ms), b.unit.Count)] {
		out = append(out, m.r)
	}
	return out
}

// tagDiff returns the tags to set and to remove so that observed carries
// exactly the desired tags. Tags under ovi: (Ovi's own, and ovi:blessed,
// which Ovi never removes) and aws: (owned by AWS) are never removed.
func tagDiff(desired, observed map[string]string) (map[string]string, []string) {
	var set map[string]string
	for k, v := range desired {
		if cur, ok := observed[k]; !ok || cur != v {
			if set == nil {
				set = make(map[string]string)
			}
			set[k] = v
		}
	}
	var remove []string
	for k := range observed {
		if _, want := desired[k]; want || protectedTag(k) {
			continue
		}
		remove = append(remove, k)
	}
	sort.Strings(remove)
	return set, remove
}

// protectedTag reports tags Ovi never removes.
func protectedTag(k string) bool {
	return strings.HasPrefix(k, oviTagPrefix) || strings.HasPrefix(strings.ToLower(k), awsTagPrefix)
}

// tagChanges spells out tag changes in key order: "team: a → b".
func tagChanges(observed, set map[string]string, remove []string) string {
	keys := make([]string, 0, len(set)+len(remove))
	for k := range set {
		keys = append(keys, k)
	}
	keys = append(keys, remove...)
	sort.Strings(keys)
	parts := make([]string, 0, min(len(keys), maxReasonTags)+1)
	for i, k := range keys {
		if i == maxReasonTags {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-maxReasonTags))
			break
		}
		from, had := observed[k]
		if !had {
			from = "(unset)"
		}
		to, setting := set[k]
		if !setting {
			to = "(removed)"
		}
		parts = append(parts, k+": "+from+" → "+to)
	}
	return strings.Join(parts, ", ")
}
