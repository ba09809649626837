package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Kind is one resource kind in the reconciler (EC2 instances, security
// groups, EBS volumes, ...): the pure part, which Decide calls. It owns
// the kind's desired units (identity: a count group of identical members,
// or one named resource), the typed diff of a member against its unit
// (one Change per drifting attribute, each with its reason), the action
// that creates members, and the kinds it depends on. A kind's schema
// (how its entries of infrastructure.yaml are parsed) and its observer
// and executor (the Provider's KindProvider) live beside it, one file per
// layer; see docs/design/reconciler-engine.md, "Adding a kind".
//
// Everything a Kind returns must depend only on its arguments: Decide is
// a pure, deterministic function of them.
type Kind interface {
	// Resource is the wal kind this Kind handles.
	Resource() wal.ResourceKind
	// DependsOn lists the kinds this kind's resources reference (an
	// instance names its security groups): their creates and updates come
	// before this kind's in a plan, their deletes after.
	DependsOn() []wal.ResourceKind
	// Units lists the kind's desired units in cfg, each with a unique name.
	Units(cfg *wal.Config) []Unit
	// Diff compares a kept member with its unit: one Change per attribute
	// that differs, in a fixed order; none when it is in sync.
	Diff(u *Unit, r *wal.Resource) []Change
	// Create is the action that creates n missing members of u: Action
	// Create, Drift Missing, Count n, a reason, and the tags to create
	// them with (SetTags: the desired ones plus ovi:managed and ovi:group).
	Create(u *Unit, n int) PlannedAction
}

// Unit is one desired unit of a kind: a count group of Count identical
// members, or one named resource (Count 1). Its Name is the ovi:group tag
// of its members, unique within the kind.
type Unit struct {
	Kind  wal.ResourceKind
	Name  string
	Count int
	Tags  map[string]string // desired user tags (ovi:blessed included)
	Group *wal.Group        // the instance kind's group
	Spec  *wal.Spec         // a named resource of another kind
}

// Change is one drifting attribute of a member and its repair.
type Change struct {
	// Attribute names what differs ("tags", "size").
	Attribute string
	// Repair is the action that fixes it, with its reason; Decide fills in
	// Drift, Kind, Group and ResourceID.
	Repair PlannedAction
	// Disruptive repairs interrupt the resource (a resize stops the
	// instance): they need policy allow_disruptive and are never made to
	// a blessed resource; the refusal says Detail ("t3.micro → t3.small")
	// and Disruption ("a resize needs a stop").
	Disruptive bool
	Detail     string
	Disruption string
}

// Kinds is the registry of the kinds a reconciler handles, built by
// NewKinds; it orders kinds by their dependencies.
type Kinds struct {
	byKind map[wal.ResourceKind]Kind
	order  []wal.ResourceKind       // dependencies first
	rank   map[wal.ResourceKind]int // position in order
}

// NewKinds builds a registry. Each kind may appear once; every kind a kind
// depends on must be registered, and dependencies must not form a cycle.
func NewKinds(kinds ...Kind) (*Kinds, error) {
	r := &Kinds{byKind: make(map[wal.ResourceKind]Kind, len(kinds)), rank: make(map[wal.ResourceKind]int, len(kinds))}
	for _, k := range kinds {
		rk := k.Resource()
		if _, dup := r.byKind[rk]; dup {
			return nil, fmt.Errorf("reconcile: kind %s registered twice", rk)
		}
		r.byKind[rk] = k
	}
	for _, k := range sortedKinds(r.byKind) {
		if err := r.visit(k, nil); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// DefaultKinds is the registry of every kind this build handles.
func DefaultKinds() *Kinds {
	r, err := NewKinds(InstanceKind{}, SecurityGroupKind{}, VolumeKind{})
	if err != nil {
		panic(err) // the built-in kinds are a fixed, acyclic set: a test covers it
	}
	return r
}

// visit appends k after its dependencies (depth first, deterministic).
func (r *Kinds) visit(k wal.ResourceKind, path []wal.ResourceKind) error {
	if _, done := r.rank[k]; done {
		return nil
	}
	if slices.Contains(path, k) {
		return fmt.Errorf("reconcile: kinds depend on each other in a cycle: %v", append(path, k))
	}
	deps := slices.Clone(r.byKind[k].DependsOn())
	slices.Sort(deps)
	for _, d := range deps {
		if _, ok := r.byKind[d]; !ok {
			return fmt.Errorf("reconcile: kind %s depends on %s, which is not registered", k, d)
		}
		if err := r.visit(d, append(path, k)); err != nil {
			return err
		}
	}
	r.rank[k] = len(r.order)
	r.order = append(r.order, k)
	return nil
}

func sortedKinds(m map[wal.ResourceKind]Kind) []wal.ResourceKind {
	ks := make([]wal.ResourceKind, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Order lists the registered kinds, each after the kinds it depends on.
func (r *Kinds) Order() []wal.ResourceKind { return slices.Clone(r.order) }

// Get returns the Kind handling k.
func (r *Kinds) Get(k wal.ResourceKind) (Kind, bool) {
	h, ok := r.byKind[k]
	return h, ok
}

// Rank is k's position in Order (unregistered kinds sort last).
func (r *Kinds) Rank(k wal.ResourceKind) int {
	if n, ok := r.rank[k]; ok {
		return n
	}
	return len(r.order)
}

// Unit finds the desired unit of kind k named name in cfg.
func (r *Kinds) Unit(cfg *wal.Config, k wal.ResourceKind, name string) (Unit, bool) {
	h, ok := r.byKind[k]
	if !ok {
		return Unit{}, false
	}
	for _, u := range h.Units(cfg) {
		if u.Name == name {
			return u, true
		}
	}
	return Unit{}, false
}

// deleteGuard is implemented by a Kind whose resources other resources
// can be using (instances in a security group): such a resource is not
// deleted while UsedBy names any, and the refusal says which.
type deleteGuard interface {
	UsedBy(r *wal.Resource, observed []*wal.Resource) []string
}

// usedBy asks r's kind which observed resources use r.
func (s *decision) usedBy(r *wal.Resource) []string {
	h, ok := s.kinds.Get(r.Kind)
	if !ok {
		return nil
	}
	g, ok := h.(deleteGuard)
	if !ok {
		return nil
	}
	all := make([]*wal.Resource, len(s.all))
	for i, o := range s.all {
		all[i] = o.r
	}
	return g.UsedBy(r, all)
}

// usersText names the users of a resource: "instance i-1" or "3 instances
// (i-1, i-2, ...)".
func usersText(ids []string) string {
	if len(ids) == 1 {
		return "instance " + ids[0]
	}
	shown := ids[:min(len(ids), 3)]
	more := ""
	if len(ids) > len(shown) {
		more = ", ..."
	}
	return fmt.Sprintf("%d instances (%s%s)", len(ids), strings.Join(shown, ", "), more)
}
