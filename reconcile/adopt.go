package reconcile

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// ErrAdoptInput is wrapped by every PlanAdoption error about its input (an
// unknown resource or unit, a filter that does not parse): the caller's
// mistake, said in one line.
var ErrAdoptInput = errors.New("adopt")

// AdoptSelection says which unmanaged resources to adopt and into which
// desired unit (a count group or a named resource of the configuration in
// force).
type AdoptSelection struct {
	// Into is the unit's name.
	Into string
	// Kind is the unit's kind; 0 when its name says (a name several kinds
	// use needs it, as do ids of another kind).
	Kind wal.ResourceKind
	// IDs are the resources to adopt. Each gets a decision: adopted, or
	// refused with the reason (already managed, a mismatch, no room).
	IDs []string
	// Filters keep the resources whose tags match every filter.
	Filters []TagFilter
	// Matching, with no IDs, considers every unmanaged live resource of the
	// unit's kind (that passes the filters).
	Matching bool
	// Approved, when not nil, bounds the decisions to these resources: an
	// apply adopts at most what the operator approved in its plan.
	Approved []string
}

// TagFilter is tag:KEY=VALUE (the tag has that value) or tag:KEY (the
// resource carries the tag), as EC2's own filters spell it.
type TagFilter struct {
	Key      string
	Value    string
	AnyValue bool
}

// ParseTagFilter reads "tag:KEY=VALUE" or "tag:KEY".
func ParseTagFilter(s string) (TagFilter, error) {
	rest, ok := strings.CutPrefix(s, "tag:")
	if !ok || rest == "" || strings.HasPrefix(rest, "=") {
		return TagFilter{}, fmt.Errorf("%w: filter %q: want tag:KEY=VALUE or tag:KEY (e.g. tag:team=payments)", ErrAdoptInput, s)
	}
	k, v, hasValue := strings.Cut(rest, "=")
	return TagFilter{Key: k, Value: v, AnyValue: !hasValue}, nil
}

// String is the filter as ParseTagFilter reads it.
func (f TagFilter) String() string {
	if f.AnyValue {
		return "tag:" + f.Key
	}
	return "tag:" + f.Key + "=" + f.Value
}

// matches reports whether tags pass the filter.
func (f TagFilter) matches(tags map[string]string) bool {
	v, ok := tags[f.Key]
	return ok && (f.AnyValue || v == f.Value)
}

// AdoptionPlan is what PlanAdoption decided: the unit, and one decision
// per considered resource in id order — Adopt, or Refuse with its reason.
type AdoptionPlan struct {
	Unit    Unit
	Actions []PlannedAction
}

// Adopted counts the plan's adoptions.
func (p AdoptionPlan) Adopted() int {
	n := 0
	for _, a := range p.Actions {
		if a.Action == wal.ActionAdopt {
			n++
		}
	}
	return n
}

// PlanAdoption decides, as a pure function of its inputs (like Decide),
// which of the selected resources are adopted into the selected unit. In
// id order, each considered resource is refused when it is already
// managed, when it does not match the unit (one reason per attribute; see
// adoptionMatch) or when the unit has no room left (its count less its
// live members and the resources adopted before it); otherwise it is
// adopted, with the tags adoption writes (SetTags; the engine adds
// ovi:decision) and, in the reason, how the next reconcile will update its
// tags. A blessed resource is adopted like any other and stays blessed.
func PlanAdoption(kinds *Kinds, desired wal.Config, observed []wal.Resource, sel AdoptSelection) (AdoptionPlan, error) {
	return Decider{Kinds: kinds}.PlanAdoption(desired, observed, Memory{}, sel)
}

// PlanAdoption is the package's PlanAdoption with the reconciler's
// memory and confirmations: the unit's
// launches decided and executed but not observed yet (prev.Launched, for
// up to Confirmations cycles) take room as live members do, exactly as
// Decide credits them, so an adoption never fills what a launch in flight
// is about to.
func (d Decider) PlanAdoption(desired wal.Config, observed []wal.Resource, prev Memory, sel AdoptSelection) (AdoptionPlan, error) {
	s := d.newDecision(&desired, observed, prev)
	s.countLaunched()
	b, err := s.adoptionUnit(sel)
	if err != nil {
		return AdoptionPlan{}, err
	}
	candidates, err := s.adoptionCandidates(b.key.kind, sel)
	if err != nil {
		return AdoptionPlan{}, err
	}
	plan := AdoptionPlan{Unit: *b.unit}
	room := b.room()
	for _, r := range candidates {
		a := s.adoptOne(b, r, &room)
		plan.Actions = append(plan.Actions, a)
	}
	return plan, nil
}

// adoptOne decides about one candidate; room is what the unit still takes.
func (s *decision) adoptOne(b *bucket, r *wal.Resource, room *int) PlannedAction {
	a := PlannedAction{Action: wal.ActionRefuse, Drift: wal.DriftUnmanaged, Kind: r.Kind, Group: b.key.name,
		ResourceID: r.ID, Size: sizeOf(r)}
	if managed(r) {
		a.Reason = fmt.Sprintf("Not adopted into %s: already managed by Ovi (group %s)", b.key.name, groupOf(r))
		return a
	}
	m := s.adoptionMatch(b, r)
	if len(m.mismatches) > 0 {
		a.Reason = "Not adopted into " + b.key.name + ": " + strings.Join(m.mismatches, "; ")
		return a
	}
	if *room <= 0 {
		a.Reason = fmt.Sprintf("Not adopted into %s: it would exceed the count (%d desired, %d live%s%s); raise count in the file first",
			b.key.name, b.unit.Count, len(b.members), launchesInFlight(b.pending), adoptedSoFar(b.room()-*room))
		return a
	}
	member := b.unit.Count - *room + 1
	*room--
	a.Action, a.SetTags = wal.ActionAdopt, adoptedTags(b.key.name)
	a.Reason = fmt.Sprintf("Adopt into %s: matches its spec (member %d of %d)", b.key.name, member, b.unit.Count)
	if r.Blessed() {
		a.Reason += "; stays blessed"
	}
	if m.tags != "" {
		a.Reason += "; the next reconcile then updates its tags " + strings.TrimPrefix(m.tags, "Update: tags differ ")
	}
	return a
}

// launchesInFlight is ", N launched not visible yet" ("" for none).
func launchesInFlight(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d launched not visible yet", n)
}

func adoptedSoFar(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d adopted before it", n)
}

// adoptionUnit finds the selected unit.
func (s *decision) adoptionUnit(sel AdoptSelection) (*bucket, error) {
	if sel.Into == "" {
		return nil, fmt.Errorf("%w: no unit: say --into NAME or --matching NAME (a group or named resource of the configuration in force)", ErrAdoptInput)
	}
	kind := sel.Kind
	for _, id := range sortedUnique(sel.IDs) {
		r := s.resource(id)
		if r == nil {
			return nil, fmt.Errorf("%w: unknown resource %s: the cloud has no such resource (observed just now)", ErrAdoptInput, id)
		}
		if kind == 0 {
			kind = r.Kind
		}
	}
	var found []*bucket
	for _, b := range s.buckets {
		if b.unit != nil && b.key.name == sel.Into && (kind == 0 || b.key.kind == kind) {
			found = append(found, b)
		}
	}
	sortBuckets(found)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("%w: no %s %q in the configuration in force (%s)", ErrAdoptInput, unitNoun(kind), sel.Into, s.unitNames(kind))
	}
	names := make([]string, len(found))
	for i, b := range found {
		names[i] = b.key.kind.String()
	}
	return nil, fmt.Errorf("%w: %q names a unit of several kinds (%s): say which with --kind", ErrAdoptInput, sel.Into, strings.Join(names, ", "))
}

func unitNoun(k wal.ResourceKind) string {
	if k == 0 {
		return "group or named resource"
	}
	if k == wal.ResourceInstance {
		return "ec2 group"
	}
	return k.String()
}

// unitNames lists the desired units (of kind k, or all), for an error.
func (s *decision) unitNames(k wal.ResourceKind) string {
	var names []string
	for _, b := range s.buckets {
		if b.unit != nil && (k == 0 || b.key.kind == k) {
			names = append(names, b.key.kind.String()+" "+b.key.name)
		}
	}
	if len(names) == 0 {
		return "it has none"
	}
	slices.Sort(names)
	return "it has " + strings.Join(names, ", ")
}

// adoptionCandidates lists the resources a selection considers, by id.
func (s *decision) adoptionCandidates(kind wal.ResourceKind, sel AdoptSelection) ([]*wal.Resource, error) {
	var out []*wal.Resource
	switch {
	case len(sel.IDs) > 0:
		for _, id := range sortedUnique(sel.IDs) {
			r := s.resource(id)
			if r.Kind != kind {
				return nil, fmt.Errorf("%w: %s is a %s, and %s is a %s unit", ErrAdoptInput, id, r.Kind, sel.Into, kind)
			}
			out = append(out, r)
		}
	case sel.Matching || len(sel.Filters) > 0:
		for _, o := range s.all {
			if o.r.Kind == kind && !managed(o.r) && !terminating(o.r) && (len(out) == 0 || out[len(out)-1].ID != o.id) {
				out = append(out, o.r)
			}
		}
	default:
		return nil, fmt.Errorf("%w: nothing selected: name resource ids, --filter tag:KEY=VALUE, or --matching %s for every resource that matches", ErrAdoptInput, sel.Into)
	}
	return slices.DeleteFunc(out, func(r *wal.Resource) bool {
		return !passes(sel.Filters, r.Tags) || (sel.Approved != nil && !slices.Contains(sel.Approved, r.ID))
	}), nil
}

func passes(filters []TagFilter, tags map[string]string) bool {
	for _, f := range filters {
		if !f.matches(tags) {
			return false
		}
	}
	return true
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// IsAdoption reports whether a decided record was made by an adoption
// (PlanAdoption), not by Decide.
func IsAdoption(d *wal.Decided) bool {
	return d.Action == wal.ActionAdopt || (d.Action == wal.ActionRefuse && strings.HasPrefix(d.Reason, "Not adopted into "))
}

// ReplayAdoption re-plans an adoption from what the WAL holds of it: the
// configuration and resources at the revision it decided at, its
// decisions (their resources are the selection, their unit the target)
// and the reconciler's memory then (in: the Decide inputs the next cycle
// recorded — an adoption leaves the memory as it found it —; nil: none),
// and compares decision decisionID with its replay (the ovi:decision tag
// added as the engine adds it).
func ReplayAdoption(kinds *Kinds, desired wal.Config, observed []wal.Resource, in *wal.DecideInputs, decided []wal.Record, decisionID string, recorded *wal.Decided) Verdict {
	sel := AdoptSelection{Into: recorded.Group, Kind: recorded.ResourceKind}
	for _, rec := range decided {
		if rec.Decided != nil && IsAdoption(rec.Decided) {
			sel.IDs = append(sel.IDs, rec.ResourceID)
		}
	}
	d, prev := Decider{Kinds: kinds}, Memory{}
	if in != nil {
		d.Confirmations, prev = in.Confirmations, MemoryOf(in)
	}
	plan, err := d.PlanAdoption(desired, observed, prev, sel)
	if err != nil {
		return Verdict{Diffs: []FieldChange{{Field: "decision", Recorded: recorded.Reason, Replayed: err.Error()}}}
	}
	return ReplayDecision(Plan{Actions: plan.Actions}, decisionID, recorded)
}
