package reconcile

import "github.com/yairfalse/ovi/wal"

// guardAttribute names the native guard's Change.
const guardAttribute = "termination_protection"

// guardedKind is implemented by a Kind whose cloud has a native guard
// against deletion (EC2 instances: DisableApiTermination). A managed
// blessed resource of it carries the guard as well as the ovi:blessed tag,
// whether the file still lists it or not: Guard returns the repair when the
// observation shows the guard off. Kinds without a native guard (security
// groups, volumes) have only the tag.
type guardedKind interface {
	Guard(r *wal.Resource) (Change, bool)
}

// guardUnwanted adds the guard repair of an unwanted blessed resource (a
// kept one gets it from its kind's Diff). A repair that failed
// permanently is held like any other.
func (s *decision) guardUnwanted(group string, r *wal.Resource) {
	h, ok := s.kinds.Get(r.Kind)
	if !ok {
		return
	}
	g, ok := h.(guardedKind)
	if !ok {
		return
	}
	ch, ok := g.Guard(r)
	if !ok {
		return
	}
	a := ch.Repair
	a.Drift, a.Kind, a.Group, a.ResourceID = wal.DriftDrifted, r.Kind, group, r.ID
	s.add(s.unlessFailed(a))
}
