package reconcile

import (
	"maps"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// diffObserved compares the last recorded observations with the current
// ones and returns an Observed payload for every resource that is new,
// changed in any attribute, or gone, in resource-id order. An unchanged
// fleet yields nothing, so an idle cycle records no observations.
func diffObserved(last, now []wal.Resource) []wal.Observed {
	before := make(map[string]*wal.Resource, len(last))
	for i := range last {
		before[last[i].ID] = &last[i]
	}
	seen := make(map[string]bool, len(now))
	var out []wal.Observed
	for i := range now {
		r := &now[i]
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		prev, ok := before[r.ID]
		switch {
		case !ok:
			out = append(out, wal.Observed{Change: wal.ChangeNew, Resource: *r})
		case !sameResource(prev, r):
			out = append(out, wal.Observed{Change: wal.ChangeUpdated, Resource: *r})
		}
	}
	for i := range last {
		if !seen[last[i].ID] {
			out = append(out, wal.Observed{Change: wal.ChangeGone, Resource: last[i]})
		}
	}
	slices.SortFunc(out, func(a, b wal.Observed) int { return strings.Compare(a.Resource.ID, b.Resource.ID) })
	return out
}

// sameResource compares every recorded attribute; a nil and an empty tag
// map are the same (the codec does not keep them apart).
func sameResource(a, b *wal.Resource) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Size == b.Size && a.ImageID == b.ImageID &&
		a.State == b.State && a.LaunchTime == b.LaunchTime && a.SubnetID == b.SubnetID &&
		a.Managed == b.Managed && a.Group == b.Group && maps.Equal(a.Tags, b.Tags)
}
