package reconcile

import (
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

// sameResource compares every recorded attribute (wal.Resource.Equal).
func sameResource(a, b *wal.Resource) bool { return a.Equal(b) }
