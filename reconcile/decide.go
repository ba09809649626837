package reconcile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Decider holds Decide's parameters.
type Decider struct {
	// Confirmations is how many consecutive observations must show a
	// resource as unwanted before it is deleted; 0 means
	// DefaultConfirmations. 1 deletes on first sight.
	Confirmations int
	// Kinds are the resource kinds decided about; nil means DefaultKinds.
	Kinds *Kinds
}

// Decide compares the desired configuration with the observed resources
// and returns the plan, using DefaultConfirmations. It is a pure,
// deterministic function: the same inputs, in any order, give the same
// plan; nothing is read from clocks, randomness or map iteration order.
//
// Decide is one function over all kinds: each Kind gives its desired units
// and the typed diff of a member (see Kind); the policy below is common.
// Classification of every live observed resource:
//
//	not tagged ovi:managed=true                → Report (unmanaged, never touched)
//	managed, its unit is desired, within count → in sync, or drifted (one Change per attribute):
//	    a change in place                      → its repair (instances: UpdateTags; ovi:* and aws:* tags are kept)
//	    a disruptive change                    → its repair if policy.allow_disruptive and not blessed, else Refuse
//	                                             (instances: size differs → Resize)
//	managed, group gone or beyond the count    → unwanted:
//	    tagged ovi:blessed=true                → Refuse "Protected: tagged ovi:blessed"
//	    policy.delete_unwanted is false        → Refuse
//	    seen unwanted fewer than Confirmations → Hold (re-check first)
//	    more deletions than max_deletions      → Hold (deletion cap)
//	    otherwise                              → Delete
//	desired, fewer live than count             → one Create per unit (missing)
//
// The plan lists changes before refusals, holds and reports; among changes
// creates and updates of a kind come after those of the kinds it depends
// on, and deletes in the reverse order.
func Decide(desired wal.Config, observed []wal.Resource, prev Memory) Plan {
	return Decider{}.Decide(desired, observed, prev)
}

// Decide is Decide with the Decider's parameters.
func (d Decider) Decide(desired wal.Config, observed []wal.Resource, prev Memory) Plan {
	s := d.newDecision(&desired, observed, prev)
	s.countLaunched()
	s.hintAdoptable()
	keys := make([]unitKey, 0, len(s.buckets))
	for key := range s.buckets {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, compareUnitKeys)
	for _, key := range keys {
		s.decideBucket(s.buckets[key])
	}
	s.finish()
	return s.plan
}

// newDecision sets up a Decide call: a bucket per desired unit, and the
// observations indexed into them (unmanaged ones reported).
func (d Decider) newDecision(desired *wal.Config, observed []wal.Resource, prev Memory) *decision {
	if d.Confirmations <= 0 {
		d.Confirmations = DefaultConfirmations
	}
	if d.Kinds == nil {
		d.Kinds = DefaultKinds()
	}
	s := &decision{
		confirm: d.Confirmations, policy: desired.Policy, prev: prev, kinds: d.Kinds,
		buckets: make(map[unitKey]*bucket, len(desired.Groups)),
		plan:    Plan{Memory: Memory{Unwanted: map[string]int{}, Launched: map[string]Launch{}, Failed: map[string]string{}}},
	}
	for _, k := range d.Kinds.Order() {
		h, _ := d.Kinds.Get(k)
		for _, u := range h.Units(desired) {
			key := unitKey{k, u.Name}
			if _, dup := s.buckets[key]; !dup {
				s.buckets[key] = &bucket{key: key, handler: h, unit: &u}
			}
		}
	}
	s.index(observed)
	return s
}

// unitKey identifies a unit: names are unique within a kind.
type unitKey struct {
	kind wal.ResourceKind
	name string
}

func compareUnitKeys(a, b unitKey) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	return strings.Compare(a.name, b.name)
}

// decision is the working state of one Decide call.
type decision struct {
	confirm   int
	policy    wal.Policy
	prev      Memory
	kinds     *Kinds
	all       []observation   // every observed resource, by id
	live      []*wal.Resource // the live ones, built on first use (liveResources)
	buckets   map[unitKey]*bucket
	deletions int
	byKind    map[wal.ResourceKind]*Counts // the plan's counts per kind, summed by finish
	plan      Plan
}

// bucket is one unit, desired (unit != nil) or only still present in the
// cloud (a unit removed from the file, or of a kind not registered).
type bucket struct {
	key     unitKey
	handler Kind
	unit    *Unit
	members []member
	pending int // launched earlier, not visible yet
}

// observation is an observed resource with its id at hand (sorting by
// id then touches one slice, not every resource).
type observation struct {
	id string
	r  *wal.Resource
}

// member is a managed resource of a bucket with its sort keys at hand.
type member struct {
	r       *wal.Resource
	blessed bool
}

// index sorts the observations by id, reports unmanaged resources and
// puts managed ones into the bucket of their group.
func (s *decision) index(observed []wal.Resource) {
	s.all = make([]observation, len(observed))
	for i := range observed {
		s.all[i] = observation{id: observed[i].ID, r: &observed[i]}
	}
	slices.SortFunc(s.all, func(a, b observation) int { return strings.Compare(a.id, b.id) })
	for i, o := range s.all {
		r := o.r
		if (i > 0 && s.all[i-1].id == o.id) || terminating(r) {
			continue
		}
		c := s.count(r.Kind)
		c.Observed++
		if !managed(r) {
			c.Unmanaged++
			s.add(PlannedAction{Action: wal.ActionReport, Drift: wal.DriftUnmanaged, Kind: r.Kind, ResourceID: r.ID,
				Size: sizeOf(r), Reason: "Report: not managed by Ovi (no ovi:managed tag); never touched"})
			continue
		}
		key := unitKey{r.Kind, groupOf(r)}
		b, ok := s.buckets[key]
		if !ok {
			b = &bucket{key: key}
			s.buckets[key] = b
		}
		b.members = append(b.members, member{r: r, blessed: r.Blessed()})
	}
}

// countLaunched credits each group with its launches that are not visible
// yet, for up to Confirmations cycles, and carries them into the next Memory.
func (s *decision) countLaunched() {
	for id, l := range s.prev.Launched {
		if s.observed(id) || l.Cycles >= s.confirm {
			continue
		}
		if b, ok := s.buckets[unitKey{launchKind(l), l.Group}]; ok && b.unit != nil {
			b.pending++
		}
		s.plan.Memory.Launched[id] = Launch{Kind: l.Kind, Group: l.Group, Cycles: l.Cycles + 1}
	}
}

// observed reports whether id is among the observations (any state).
func (s *decision) observed(id string) bool {
	i := sort.Search(len(s.all), func(i int) bool { return s.all[i].id >= id })
	return i < len(s.all) && s.all[i].id == id
}

// decideBucket decides one group: creates for what is missing, drift for
// the members it keeps, deletions (or refusals) for the rest.
func (s *decision) decideBucket(b *bucket) {
	sortKeepFirst(b.members)
	want := 0
	if b.unit != nil {
		want = b.unit.Count
	}
	keep := min(want, len(b.members))
	for _, m := range b.members[:keep] {
		s.decideDrift(b, m.r)
	}
	if b.unit != nil {
		s.decideMissing(b, want-len(b.members))
	}
	// Unwanted members, newest first: the last kept are the first to go.
	for i := len(b.members) - 1; i >= keep; i-- {
		reason := "Not in desired configuration"
		if b.unit != nil {
			reason = fmt.Sprintf("Surplus in group %s (%d live, %d desired)", b.key.name, len(b.members), want)
		}
		s.decideUnwanted(b.key.name, b.members[i].r, reason)
	}
}

// sortKeepFirst orders a group's members by how much they are worth
// keeping: blessed ones first (they cannot be deleted anyway), then the
// oldest launch, then the id.
func sortKeepFirst(ms []member) {
	slices.SortFunc(ms, func(a, b member) int {
		if a.blessed != b.blessed {
			if a.blessed {
				return -1
			}
			return 1
		}
		if la, lb := launchedAt(a.r), launchedAt(b.r); la != lb {
			if la < lb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.r.ID, b.r.ID)
	})
}

// decideMissing plans one Create for the instances a group lacks, minus
// those launched earlier and not visible yet.
func (s *decision) decideMissing(b *bucket, short int) {
	if short <= 0 {
		return
	}
	pending := min(b.pending, short)
	s.count(b.key.kind).Pending += pending
	if pending > 0 {
		s.add(PlannedAction{Action: wal.ActionHold, Drift: wal.DriftMissing, Kind: b.key.kind, Group: b.key.name, Count: pending,
			Reason: fmt.Sprintf("Held: %s launched for group %s not visible yet", instances(pending), b.key.name)})
	}
	n := short - pending
	if n <= 0 {
		return
	}
	s.count(b.key.kind).Missing += n
	a := b.handler.Create(b.unit, n)
	a.Kind = b.key.kind
	s.add(s.unlessFailed(a))
}

// launchTags are the tags a new member of unit carries: the desired ones
// plus Ovi's management tags (the engine adds ovi:decision).
func launchTags(unit string, desired map[string]string) map[string]string {
	tags := make(map[string]string, len(desired)+2)
	for k, v := range desired {
		tags[k] = v
	}
	tags[wal.TagManaged] = "true"
	tags[wal.TagGroup] = unit
	return tags
}

// launchKind is the kind of a remembered launch (instances before kinds).
func launchKind(l Launch) wal.ResourceKind {
	if l.Kind == 0 {
		return wal.ResourceInstance
	}
	return l.Kind
}

// decideUnwanted decides about one managed resource that is not wanted.
func (s *decision) decideUnwanted(group string, r *wal.Resource, why string) {
	c := s.count(r.Kind)
	c.Unwanted++
	a := PlannedAction{Action: wal.ActionDelete, Drift: wal.DriftUnwanted, Kind: r.Kind, Group: group, ResourceID: r.ID, Size: sizeOf(r)}
	if r.Blessed() {
		c.Protected++
		a.Action, a.Reason = wal.ActionRefuse, "Protected: tagged ovi:blessed"
		s.add(a)
		s.guardUnwanted(group, r)
		return
	}
	if users := s.usedBy(r); len(users) > 0 {
		a.Action, a.Reason = wal.ActionRefuse, "Refused: "+why+", but in use by "+usersText(users)
		s.add(a)
		return
	}
	seen := s.prev.Unwanted[r.ID] + 1
	s.plan.Memory.Unwanted[r.ID] = seen
	switch {
	case !s.policy.DeleteUnwanted:
		a.Action, a.Reason = wal.ActionRefuse, "Refused: "+why+reasonNoDeletePolicy
	case seen < s.confirm:
		a.Action, a.Reason = wal.ActionHold, recheckReason(seen, s.confirm)
	case s.deletions >= s.policy.MaxDeletions:
		a.Action, a.Reason = wal.ActionHold, fmt.Sprintf("Held: deletion cap of %d per run reached", s.policy.MaxDeletions)
	default:
		a.Reason = "Delete: " + why
		a = s.unlessFailed(a)
		if a.Action == wal.ActionDelete && s.beforeDelete(&a, r) {
			return
		}
		if a.Action == wal.ActionDelete {
			s.deletions++
		}
	}
	s.add(a)
}

// reasonNoDeletePolicy ends the refusal of an unwanted resource under
// policy delete_unwanted: false (a refusal that still counts a sighting).
const reasonNoDeletePolicy = ", but policy delete_unwanted is false"

// predeleteKind is implemented by a Kind whose resources need a step before
// they can be deleted (a volume is detached first).
type predeleteKind interface {
	BeforeDelete(r *wal.Resource) (PlannedAction, bool)
}

// beforeDelete plans the step a delete waits for, if the kind has one, and
// holds the delete until a later cycle sees it done.
func (s *decision) beforeDelete(a *PlannedAction, r *wal.Resource) bool {
	k, ok := s.kinds.Get(r.Kind)
	if !ok {
		return false
	}
	pk, ok := k.(predeleteKind)
	if !ok {
		return false
	}
	step, need := pk.BeforeDelete(r)
	if !need {
		return false
	}
	step.Drift, step.Kind, step.Group, step.ResourceID = a.Drift, a.Kind, a.Group, a.ResourceID
	s.add(s.unlessFailed(step))
	a.Action, a.Reason = wal.ActionHold, "Held: "+strings.TrimPrefix(a.Reason, "Delete: ")+"; deleted once "+step.Action.String()+" is done"
	s.add(*a)
	return true
}

func recheckReason(seen, confirm int) string {
	if seen == 1 {
		return "Held: re-checking before delete (first seen unwanted)"
	}
	return fmt.Sprintf("Held: re-checking before delete (seen unwanted %d of %d times)", seen, confirm)
}

// unlessFailed turns an action whose last attempt failed terminally into a
// Hold, and remembers the failure for the next cycle.
func (s *decision) unlessFailed(a PlannedAction) PlannedAction {
	key := actionKey(a)
	code, failed := s.prev.Failed[key]
	if !failed {
		return a
	}
	s.plan.Memory.Failed[key] = code
	a.Action = wal.ActionHold
	a.Reason = fmt.Sprintf("Held: last attempt failed permanently (%s); not retried until the configuration changes", code)
	return a
}

func (s *decision) add(a PlannedAction) { s.plan.Actions = append(s.plan.Actions, a) }

// count is the counts of kind k (instances for records before kinds).
func (s *decision) count(k wal.ResourceKind) *Counts {
	k = kindOf(k)
	c := s.byKind[k]
	if c == nil {
		if s.byKind == nil {
			s.byKind = map[wal.ResourceKind]*Counts{}
		}
		c = &Counts{}
		s.byKind[k] = c
	}
	return c
}

// sumCounts sets the plan's counts per kind, in kind order, and their
// total.
func (s *decision) sumCounts() {
	for k, c := range s.byKind {
		s.plan.Kinds = append(s.plan.Kinds, KindCounts{Kind: k.String(), Counts: *c})
		s.plan.Counts = s.plan.Counts.plus(*c)
	}
	slices.SortFunc(s.plan.Kinds, func(a, b KindCounts) int { return strings.Compare(a.Kind, b.Kind) })
}

// finish orders the plan: by action rank; then by kind, dependencies
// first (deletes: dependents first); then group, resource.
func (s *decision) finish() {
	s.sumCounts()
	slices.SortFunc(s.plan.Actions, func(a, b PlannedAction) int {
		if ra, rb := actionRank(a.Action), actionRank(b.Action); ra != rb {
			return ra - rb
		}
		if ka, kb := s.kinds.Rank(a.Kind), s.kinds.Rank(b.Kind); ka != kb {
			if a.Action == wal.ActionDelete {
				return kb - ka
			}
			return ka - kb
		}
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		if c := strings.Compare(a.ResourceID, b.ResourceID); c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	})
}

func instances(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("%d instances", n)
}

// managed reports whether Ovi launched r.
func managed(r *wal.Resource) bool { return r.Managed || r.Tags[wal.TagManaged] == "true" }

// groupOf is the group a managed resource was launched for.
func groupOf(r *wal.Resource) string {
	if r.Group != "" {
		return r.Group
	}
	return r.Tags[wal.TagGroup]
}

// terminating resources are on their way out and count for nothing.
func terminating(r *wal.Resource) bool { return r.State == "shutting-down" || r.State == "terminated" }
