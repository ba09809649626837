package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// maxReasonTags bounds how many tag changes a reason spells out.
const maxReasonTags = 5

// decideDrift compares one kept member with its group: tags first, then
// size. A resource drifting in both gets two actions and counts once.
func (s *decision) decideDrift(g *wal.Group, r *wal.Resource) {
	set, remove := tagDiff(g.Tags, r.Tags)
	sizeDiffers := g.Size != "" && r.Size != g.Size
	if len(set) == 0 && len(remove) == 0 && !sizeDiffers {
		s.plan.Counts.InSync++
		return
	}
	s.plan.Counts.Drifted++
	if len(set) > 0 || len(remove) > 0 {
		a := PlannedAction{Action: wal.ActionUpdateTags, Drift: wal.DriftDrifted, Group: g.Name, ResourceID: r.ID,
			Size: r.Size, SetTags: set, RemoveTags: remove, Reason: "Update: tags differ (" + tagChanges(r.Tags, set, remove) + ")"}
		s.add(s.unlessFailed(a, actionKey(wal.ActionUpdateTags, g.Name, r.ID)))
	}
	if sizeDiffers {
		s.decideResize(g, r)
	}
}

// decideResize resizes only when the policy allows a stop and the resource
// is not blessed.
func (s *decision) decideResize(g *wal.Group, r *wal.Resource) {
	change := fmt.Sprintf("%s → %s", r.Size, g.Size)
	a := PlannedAction{Action: wal.ActionResize, Drift: wal.DriftDrifted, Group: g.Name, ResourceID: r.ID, Size: g.Size}
	switch {
	case r.Blessed():
		s.plan.Counts.Protected++
		a.Action, a.Reason = wal.ActionRefuse, "Protected: tagged ovi:blessed (size differs: "+change+"; a resize needs a stop)"
	case !s.policy.AllowDisruptive:
		a.Action, a.Reason = wal.ActionRefuse, "Refused: size differs ("+change+"), but policy allow_disruptive is false"
	default:
		a.Reason = "Resize: size differs (" + change + ")"
		a = s.unlessFailed(a, actionKey(wal.ActionResize, g.Name, r.ID))
	}
	s.add(a)
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
