package reconcile

import (
	"fmt"
	"slices"

	"github.com/yairfalse/ovi/wal"
)

// SecurityGroupKind is the security group kind (type: security_group):
// named resources, one group each, unique by name within their VPC. Tags
// are updated in place; each rule that differs is its own change,
// repaired by authorizing or revoking just that rule. Name, VPC and
// description are fixed when the group is created (EC2 cannot change
// them). A group an observed instance uses is never deleted. Its schema
// is kind_sg_schema.go; its observer and executor are aws/kind_sg.go.
type SecurityGroupKind struct{}

// Resource implements Kind.
func (SecurityGroupKind) Resource() wal.ResourceKind { return wal.ResourceSecurityGroup }

// DependsOn implements Kind: groups reference other groups only.
func (SecurityGroupKind) DependsOn() []wal.ResourceKind { return nil }

// Units implements Kind: one unit per security_group entry.
func (SecurityGroupKind) Units(cfg *wal.Config) []Unit {
	var units []Unit
	for i := range cfg.Resources {
		s := &cfg.Resources[i]
		if s.Kind != wal.ResourceSecurityGroup || s.SecurityGroup == nil {
			continue
		}
		units = append(units, Unit{Kind: wal.ResourceSecurityGroup, Name: s.Name, Count: 1, Tags: s.Tags, Spec: s})
	}
	return units
}

// Diff implements Kind: tags first, then one change per rule, ingress
// before egress, missing rules before extra ones, each in rule order.
func (SecurityGroupKind) Diff(u *Unit, r *wal.Resource) []Change {
	var out []Change
	if set, remove := tagDiff(u.Tags, r.Tags); len(set) > 0 || len(remove) > 0 {
		out = append(out, Change{Attribute: "tags", Repair: PlannedAction{
			Action: wal.ActionUpdateTags, SetTags: set, RemoveTags: remove,
			Reason: "Update: tags differ (" + tagChanges(r.Tags, set, remove) + ")",
		}})
	}
	if u.Spec == nil || u.Spec.SecurityGroup == nil || r.SecurityGroup == nil {
		return out
	}
	want, have := u.Spec.SecurityGroup, r.SecurityGroup
	out = append(out, ruleChanges(false, want.Ingress, have.Ingress)...)
	return append(out, ruleChanges(true, want.Egress, have.Egress)...)
}

// ruleChanges compares one direction: an authorize per desired rule the
// group lacks, a revoke per rule it has that the file does not list.
func ruleChanges(egress bool, want, have []wal.Rule) []Change {
	var out []Change
	for _, r := range want {
		if !slices.Contains(have, r) {
			c := wal.RuleChange{Egress: egress, Rule: r}
			out = append(out, Change{Attribute: "rules", Repair: PlannedAction{Action: wal.ActionAuthorize, Rule: &c,
				Reason: "Authorize: " + c.String() + " missing"}})
		}
	}
	for _, r := range have {
		if !slices.Contains(want, r) {
			c := wal.RuleChange{Egress: egress, Rule: r}
			out = append(out, Change{Attribute: "rules", Repair: PlannedAction{Action: wal.ActionRevoke, Rule: &c,
				Reason: "Revoke: " + c.String() + " added outside Ovi"}})
		}
	}
	return out
}

// Create implements Kind: one CreateSecurityGroup (then its rules).
func (SecurityGroupKind) Create(u *Unit, _ int) PlannedAction {
	return PlannedAction{Action: wal.ActionCreate, Drift: wal.DriftMissing, Kind: wal.ResourceSecurityGroup,
		Group: u.Name, Count: 1, SetTags: launchTags(u.Name, u.Tags),
		Reason: fmt.Sprintf("Create: security group %s missing", u.Name)}
}

// UsedBy implements deleteGuard: the observed instances that use group r.
func (SecurityGroupKind) UsedBy(r *wal.Resource, observed []*wal.Resource) []string {
	var users []string
	for _, o := range observed {
		if o.Instance != nil && !terminating(o) && slices.Contains(o.Instance.SecurityGroups, r.ID) {
			users = append(users, o.ID)
		}
	}
	slices.Sort(users)
	return users
}

// AdoptionMismatches implements AdoptionChecker: a group is adopted only
// under its own name (EC2 cannot rename it), and in the VPC the file names
// (none named: any, the file's group lives in the region's default VPC).
func (SecurityGroupKind) AdoptionMismatches(u *Unit, r *wal.Resource, _ []*wal.Resource) []string {
	if u.Spec == nil || u.Spec.SecurityGroup == nil || r.SecurityGroup == nil {
		return nil
	}
	want, have := u.Spec.SecurityGroup, r.SecurityGroup
	var out []string
	if want.Name != have.Name {
		out = append(out, fmt.Sprintf("name differs (%s, the file names %s), and EC2 cannot rename a group", have.Name, want.Name))
	}
	if want.VpcID != "" && want.VpcID != have.VpcID {
		out = append(out, fmt.Sprintf("vpc differs (%s, %s wants %s)", orNone(have.VpcID), u.Name, want.VpcID))
	}
	return out
}

// UnitAdoptionKey implements AdoptionKeyer: a group is adopted under its
// own name only.
func (SecurityGroupKind) UnitAdoptionKey(u *Unit) string {
	if u.Spec == nil || u.Spec.SecurityGroup == nil {
		return ""
	}
	return u.Spec.SecurityGroup.Name
}

// ResourceAdoptionKeys implements AdoptionKeyer.
func (SecurityGroupKind) ResourceAdoptionKeys(r *wal.Resource) []string {
	if r.SecurityGroup == nil {
		return nil
	}
	return []string{r.SecurityGroup.Name}
}
