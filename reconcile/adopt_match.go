package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Adoption is Ovi taking over a resource it did not create: it writes
// ovi:managed=true, ovi:group=<unit> and ovi:decision=<the adopt decision>
// on it, and nothing else. A resource matches a unit when, once adopted,
// the next reconcile would change nothing on it but tags: every attribute
// the kind's diff compares (an instance's size and run state, a security
// group's rules, a volume's shape and attachment) is as the unit wants,
// and so is every attribute no reconcile could change (an instance's
// image, subnet and security groups; a group's name and VPC), which the
// kind checks in its AdoptionChecker. Tags differ freely: the next
// reconcile updates them, and adoption says how.

// AdoptionChecker is implemented by a Kind whose units fix attributes its
// Diff does not compare because they cannot change (an instance's image):
// adoption refuses a resource that differs in them. observed is every
// live observed resource (to resolve references by name).
type AdoptionChecker interface {
	AdoptionMismatches(u *Unit, r *wal.Resource, observed []*wal.Resource) []string
}

// adoptedTags are the tags adoption writes on a resource of unit (the
// engine adds ovi:decision): Ovi's management tags, never a user tag.
func adoptedTags(unit string) map[string]string {
	return map[string]string{wal.TagManaged: "true", wal.TagGroup: unit}
}

// adoptionExtraTags is how many tags adoption adds at most (ovi:managed,
// ovi:group, ovi:decision), for EC2's limit of maxTagsPerResource.
const (
	adoptionExtraTags  = 3
	maxTagsPerResource = 50
)

// matchReport is how r compares with u for adoption: the mismatches that
// refuse it (one per attribute, each a reason) and the tag update the
// next reconcile would make ("" when none).
type matchReport struct {
	mismatches []string
	tags       string
}

// adoptionMatch compares an unmanaged resource with a unit of its kind,
// as if it were adopted into it.
func (s *decision) adoptionMatch(b *bucket, r *wal.Resource) matchReport {
	var m matchReport
	if terminating(r) {
		m.mismatches = append(m.mismatches, "state "+r.State+": it is going away")
		return m
	}
	if n := len(withoutKeys(r.Tags, wal.TagManaged, wal.TagGroup, wal.TagDecision)) + adoptionExtraTags; n > maxTagsPerResource {
		m.mismatches = append(m.mismatches, fmt.Sprintf("tags: it has %d, adoption adds %d and EC2 allows %d per resource",
			n-adoptionExtraTags, adoptionExtraTags, maxTagsPerResource))
	}
	if c, ok := b.handler.(AdoptionChecker); ok {
		m.mismatches = append(m.mismatches, c.AdoptionMismatches(b.unit, r, s.liveResources())...)
	}
	adopted := *r
	adopted.Tags = adoptedTags(b.unit.Name)
	maps.Copy(adopted.Tags, r.Tags)
	maps.Copy(adopted.Tags, adoptedTags(b.unit.Name))
	adopted.Managed, adopted.Group = true, b.unit.Name
	for _, ch := range s.diff(b, &adopted) {
		if ch.Attribute == "tags" {
			m.tags = ch.Repair.Reason
			continue
		}
		if ch.Attribute == guardAttribute {
			continue // the native guard is set in place once adopted (guard.go)
		}
		m.mismatches = append(m.mismatches, mismatchOf(ch))
	}
	return m
}

// liveResources lists the live observed resources, for AdoptionChecker.
func (s *decision) liveResources() []*wal.Resource {
	if s.live == nil {
		s.live = make([]*wal.Resource, 0, len(s.all))
		for _, o := range s.all {
			if !terminating(o.r) {
				s.live = append(s.live, o.r)
			}
		}
	}
	return s.live
}

// room is how many more members unit b takes: its count less its live
// managed members and the launches not visible yet.
func (b *bucket) room() int {
	if b.unit == nil {
		return 0
	}
	return b.unit.Count - len(b.members) - b.pending
}

// AdoptionKeyer is implemented by a Kind that can say cheaply which units
// a resource could match (an instance's size and image, a security
// group's name): a resource is compared only with the units whose key is
// one of its keys. Equal keys are necessary for a match, not sufficient.
type AdoptionKeyer interface {
	UnitAdoptionKey(u *Unit) string
	ResourceAdoptionKeys(r *wal.Resource) []string
}

// hintCandidates are the desired units with room, per kind, indexed by
// their adoption key ("" for kinds without an AdoptionKeyer), in name
// order within a key.
type hintCandidates map[wal.ResourceKind]map[string][]*bucket

// hintAdoptable names, on the report of each unmanaged resource, the first
// desired unit of its kind (by name) that it matches and that has room for
// it, so the plan can say which `ovi adopt` to run. Units without room are
// not considered: adopting into them would exceed their count.
func (s *decision) hintAdoptable() {
	cands := s.hintCandidates()
	if len(cands) == 0 {
		return
	}
	for i := range s.plan.Actions {
		a := &s.plan.Actions[i]
		if a.Action != wal.ActionReport || a.Drift != wal.DriftUnmanaged || cands[a.Kind] == nil {
			continue
		}
		if r := s.resource(a.ResourceID); r != nil {
			a.Adoptable = s.firstMatch(cands[a.Kind], r)
		}
	}
}

func (s *decision) hintCandidates() hintCandidates {
	out := hintCandidates{}
	for _, b := range s.buckets {
		if b.unit == nil || b.room() <= 0 {
			continue
		}
		key := ""
		if k, ok := b.handler.(AdoptionKeyer); ok {
			key = k.UnitAdoptionKey(b.unit)
		}
		if out[b.key.kind] == nil {
			out[b.key.kind] = map[string][]*bucket{}
		}
		out[b.key.kind][key] = append(out[b.key.kind][key], b)
	}
	for _, byKey := range out {
		for _, bs := range byKey {
			sortBuckets(bs)
		}
	}
	return out
}

// firstMatch is the name of the first unit (by name) among those sharing
// a key with r that r matches, or "".
func (s *decision) firstMatch(byKey map[string][]*bucket, r *wal.Resource) string {
	keys := []string{""}
	if k, ok := s.kinds.byKind[r.Kind].(AdoptionKeyer); ok {
		keys = k.ResourceAdoptionKeys(r)
	}
	var bs []*bucket
	for _, key := range keys {
		bs = append(bs, byKey[key]...)
	}
	sortBuckets(bs)
	for _, b := range bs {
		if len(s.adoptionMatch(b, r).mismatches) == 0 {
			return b.key.name
		}
	}
	return ""
}

// resource is the observed resource with id (nil if none).
func (s *decision) resource(id string) *wal.Resource {
	for lo, hi := 0, len(s.all); lo < hi; {
		mid := (lo + hi) / 2
		switch c := strings.Compare(s.all[mid].id, id); {
		case c == 0:
			return s.all[mid].r
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return nil
}

func sortBuckets(bs []*bucket) {
	slices.SortFunc(bs, func(a, b *bucket) int { return compareUnitKeys(a.key, b.key) })
}

// mismatchOf says what a change the next reconcile would make differs in:
// its repair's reason without the action ("Resize: size differs (…)" →
// "size differs (…)").
func mismatchOf(ch Change) string {
	_, why, ok := strings.Cut(ch.Repair.Reason, ": ")
	if !ok {
		why = ch.Repair.Reason
	}
	if rest, drifted := strings.CutPrefix(why, "drifted: "); drifted {
		why = ch.Attribute + " " + rest
	}
	return oneClause(why)
}

// oneClause keeps a reason usable as one clause of a "; "-joined list.
func oneClause(reason string) string { return strings.ReplaceAll(reason, "; ", ", ") }

// withoutKeys returns the keys of m other than drop.
func withoutKeys(m map[string]string, drop ...string) []string {
	var out []string
	for k := range m {
		keep := true
		for _, d := range drop {
			keep = keep && k != d
		}
		if keep {
			out = append(out, k)
		}
	}
	return out
}
