package reconcile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Decider holds Decide's one parameter.
type Decider struct {
	// Confirmations is how many consecutive observations must show a
	// resource as unwanted before it is deleted; 0 means
	// DefaultConfirmations. 1 deletes on first sight.
	Confirmations int
}

// Decide compares the desired configuration with the observed resources
// and returns the plan, using DefaultConfirmations. It is a pure,
// deterministic function: the same inputs, in any order, give the same
// plan; nothing is read from clocks, randomness or map iteration order.
//
// Classification of every live observed resource:
//
//	not tagged ovi:managed=true                → Report (unmanaged, never touched)
//	managed, its group is desired, within count → in sync, or drifted:
//	    tags differ                            → UpdateTags (ovi:* and aws:* tags are kept)
//	    size differs                           → Resize if policy.allow_disruptive and not blessed, else Refuse
//	managed, group gone or beyond the count    → unwanted:
//	    tagged ovi:blessed=true                → Refuse "Protected: tagged ovi:blessed"
//	    policy.delete_unwanted is false        → Refuse
//	    seen unwanted fewer than Confirmations → Hold (re-check first)
//	    more deletions than max_deletions      → Hold (deletion cap)
//	    otherwise                              → Delete
//	desired, fewer live than count             → one Create per group (missing)
func Decide(desired wal.Config, observed []wal.Resource, prev Memory) Plan {
	return Decider{}.Decide(desired, observed, prev)
}

// Decide is Decide with the Decider's parameters.
func (d Decider) Decide(desired wal.Config, observed []wal.Resource, prev Memory) Plan {
	if d.Confirmations <= 0 {
		d.Confirmations = DefaultConfirmations
	}
	s := &decision{
		confirm: d.Confirmations, policy: desired.Policy, prev: prev,
		buckets: make(map[string]*bucket, len(desired.Groups)),
		plan:    Plan{Memory: Memory{Unwanted: map[string]int{}, Launched: map[string]Launch{}, Failed: map[string]string{}}},
	}
	for i := range desired.Groups {
		g := &desired.Groups[i]
		if _, dup := s.buckets[g.Name]; !dup {
			s.buckets[g.Name] = &bucket{name: g.Name, group: g}
		}
	}
	s.index(observed)
	s.countLaunched()
	names := make([]string, 0, len(s.buckets))
	for name := range s.buckets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s.decideBucket(s.buckets[name])
	}
	s.finish()
	return s.plan
}

// decision is the working state of one Decide call.
type decision struct {
	confirm   int
	policy    wal.Policy
	prev      Memory
	all       []observation // every observed resource, by id
	buckets   map[string]*bucket
	deletions int
	plan      Plan
}

// bucket is one resource group, desired (group != nil) or only still
// present in the cloud (a group removed from the file).
type bucket struct {
	name    string
	group   *wal.Group
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
		s.plan.Counts.Observed++
		if !managed(r) {
			s.plan.Counts.Unmanaged++
			s.add(PlannedAction{Action: wal.ActionReport, Drift: wal.DriftUnmanaged, ResourceID: r.ID,
				Size: r.Size, Reason: "Report: not managed by Ovi (no ovi:managed tag); never touched"})
			continue
		}
		name := groupOf(r)
		b, ok := s.buckets[name]
		if !ok {
			b = &bucket{name: name}
			s.buckets[name] = b
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
		if b, ok := s.buckets[l.Group]; ok && b.group != nil {
			b.pending++
		}
		s.plan.Memory.Launched[id] = Launch{Group: l.Group, Cycles: l.Cycles + 1}
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
	if b.group != nil {
		want = b.group.Count
	}
	keep := min(want, len(b.members))
	for _, m := range b.members[:keep] {
		s.decideDrift(b.group, m.r)
	}
	if b.group != nil {
		s.decideMissing(b, want-len(b.members))
	}
	// Unwanted members, newest first: the last kept are the first to go.
	for i := len(b.members) - 1; i >= keep; i-- {
		reason := "Not in desired configuration"
		if b.group != nil {
			reason = fmt.Sprintf("Surplus in group %s (%d live, %d desired)", b.name, len(b.members), want)
		}
		s.decideUnwanted(b.name, b.members[i].r, reason)
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
		if a.r.LaunchTime != b.r.LaunchTime {
			if a.r.LaunchTime < b.r.LaunchTime {
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
	s.plan.Counts.Pending += pending
	if pending > 0 {
		s.add(PlannedAction{Action: wal.ActionHold, Drift: wal.DriftMissing, Group: b.name, Count: pending,
			Reason: fmt.Sprintf("Held: %s launched for group %s not visible yet", instances(pending), b.name)})
	}
	n := short - pending
	if n <= 0 {
		return
	}
	s.plan.Counts.Missing += n
	g := b.group
	a := PlannedAction{Action: wal.ActionCreate, Drift: wal.DriftMissing, Group: g.Name, Count: n, Size: g.Size,
		ImageID: g.Image, SetTags: launchTags(*g),
		Reason: fmt.Sprintf("Create: %s missing from group %s", instances(n), g.Name)}
	s.add(s.unlessFailed(a, actionKey(wal.ActionCreate, g.Name, "")))
}

// launchTags are the tags a new instance of g carries: the desired ones
// plus Ovi's management tags (the engine adds ovi:decision).
func launchTags(g wal.Group) map[string]string {
	tags := make(map[string]string, len(g.Tags)+2)
	for k, v := range g.Tags {
		tags[k] = v
	}
	tags[wal.TagManaged] = "true"
	tags[wal.TagGroup] = g.Name
	return tags
}

// decideUnwanted decides about one managed resource that is not wanted.
func (s *decision) decideUnwanted(group string, r *wal.Resource, why string) {
	s.plan.Counts.Unwanted++
	a := PlannedAction{Action: wal.ActionDelete, Drift: wal.DriftUnwanted, Group: group, ResourceID: r.ID, Size: r.Size}
	if r.Blessed() {
		s.plan.Counts.Protected++
		a.Action, a.Reason = wal.ActionRefuse, "Protected: tagged ovi:blessed"
		s.add(a)
		return
	}
	seen := s.prev.Unwanted[r.ID] + 1
	s.plan.Memory.Unwanted[r.ID] = seen
	switch {
	case !s.policy.DeleteUnwanted:
		a.Action, a.Reason = wal.ActionRefuse, "Refused: "+why+", but policy delete_unwanted is false"
	case seen < s.confirm:
		a.Action, a.Reason = wal.ActionHold, recheckReason(seen, s.confirm)
	case s.deletions >= s.policy.MaxDeletions:
		a.Action, a.Reason = wal.ActionHold, fmt.Sprintf("Held: deletion cap of %d per run reached", s.policy.MaxDeletions)
	default:
		a.Reason = "Delete: " + why
		a = s.unlessFailed(a, actionKey(wal.ActionDelete, group, r.ID))
		if a.Action == wal.ActionDelete {
			s.deletions++
		}
	}
	s.add(a)
}

func recheckReason(seen, confirm int) string {
	if seen == 1 {
		return "Held: re-checking before delete (first seen unwanted)"
	}
	return fmt.Sprintf("Held: re-checking before delete (seen unwanted %d of %d times)", seen, confirm)
}

// unlessFailed turns an action whose last attempt failed terminally into a
// Hold, and remembers the failure for the next cycle.
func (s *decision) unlessFailed(a PlannedAction, key string) PlannedAction {
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

// finish orders the plan: by action rank, group, resource.
func (s *decision) finish() {
	slices.SortFunc(s.plan.Actions, func(a, b PlannedAction) int {
		if ra, rb := actionRank(a.Action), actionRank(b.Action); ra != rb {
			return ra - rb
		}
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		return strings.Compare(a.ResourceID, b.ResourceID)
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
