package reconcile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// InstanceKind is the EC2 instance kind (type: ec2): count groups of
// identical instances, declared as the configuration's Groups. Tags are
// updated in place; a size change is a resize, which stops the instance
// (disruptive). Its schema is config_group.go; its observer and executor
// are the aws package's instance provider.
type InstanceKind struct{}

// Resource implements Kind.
func (InstanceKind) Resource() wal.ResourceKind { return wal.ResourceInstance }

// DependsOn implements Kind: instances name security groups.
func (InstanceKind) DependsOn() []wal.ResourceKind {
	return []wal.ResourceKind{wal.ResourceSecurityGroup}
}

// Units implements Kind: one unit per group, the first of a name wins.
func (InstanceKind) Units(cfg *wal.Config) []Unit {
	units := make([]Unit, 0, len(cfg.Groups))
	seen := make(map[string]bool, len(cfg.Groups))
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		if seen[g.Name] {
			continue
		}
		seen[g.Name] = true
		units = append(units, Unit{Kind: wal.ResourceInstance, Name: g.Name, Count: g.Count, Tags: g.Tags, Group: g})
	}
	return units
}

// Diff implements Kind: tags first (in place), then the run state (an
// instance's desired state is running: a stopped one is started, except a
// blessed one, which Ovi never starts or stops by itself), then the native
// guard of a blessed one (Guard), then size (a resize, which stops and
// starts it).
func (InstanceKind) Diff(u *Unit, r *wal.Resource) []Change {
	var out []Change
	if set, remove := tagDiff(u.Tags, r.Tags); len(set) > 0 || len(remove) > 0 {
		out = append(out, Change{Attribute: "tags", Repair: PlannedAction{
			Action: wal.ActionUpdateTags, Size: sizeOf(r), SetTags: set, RemoveTags: remove,
			Reason: "Update: tags differ (" + tagChanges(r.Tags, set, remove) + ")",
		}})
	}
	if r.State == stateStopped {
		out = append(out, Change{Attribute: "state", Disruptive: r.Blessed(), Detail: "stopped, desired running",
			Disruption: "a blessed instance is started by hand, never by Ovi",
			Repair:     PlannedAction{Action: wal.ActionStart, Size: sizeOf(r), Reason: "Start: drifted: stopped, desired running"}})
	}
	if ch, ok := (InstanceKind{}).Guard(r); ok {
		out = append(out, ch)
	}
	if want := u.Group.Size; want != "" && sizeOf(r) != want {
		change := fmt.Sprintf("%s → %s", sizeOf(r), want)
		out = append(out, Change{Attribute: "size", Disruptive: true, Detail: change, Disruption: "a resize needs a stop",
			Repair: PlannedAction{Action: wal.ActionResize, Size: want, Reason: "Resize: size differs (" + change + ")"}})
	}
	return out
}

// Guard implements guardedKind: a managed blessed instance carries EC2's
// termination protection (DisableApiTermination) as well as the tag; one
// observed without it is protected again, in place, never disruptive.
// The observer checks the attribute on managed blessed instances only.
func (InstanceKind) Guard(r *wal.Resource) (Change, bool) {
	if !managed(r) || !r.Blessed() || r.Instance == nil || r.Instance.TerminationProtection {
		return Change{}, false
	}
	return Change{Attribute: guardAttribute, Detail: "off, desired on", Repair: PlannedAction{
		Action: wal.ActionProtect, Size: sizeOf(r),
		Reason: "Protect: tagged ovi:blessed, but EC2 termination protection (DisableApiTermination) is off",
	}}, true
}

// Create implements Kind: one launch of n identical instances.
func (InstanceKind) Create(u *Unit, n int) PlannedAction {
	g := u.Group
	return PlannedAction{Action: wal.ActionCreate, Drift: wal.DriftMissing, Kind: wal.ResourceInstance,
		Group: g.Name, Count: n, Size: g.Size, ImageID: g.Image, SetTags: launchTags(u.Name, g.Tags),
		Reason: fmt.Sprintf("Create: %s missing from group %s", instances(n), g.Name)}
}

// stateStopped is the run state of a stopped instance.
const stateStopped = "stopped"

// Settled implements settler: whether an interrupted start already took
// effect (the instance is running, or on its way there).
func (InstanceKind) Settled(a PlannedAction, r *wal.Resource) bool {
	return a.Action == wal.ActionStart && (r.State == "running" || r.State == "pending")
}

// sizeOf is an instance's size ("" for other kinds).
func sizeOf(r *wal.Resource) string {
	if r.Instance == nil {
		return ""
	}
	return r.Instance.Size
}

// launchedAt is an instance's launch time (0 for other kinds).
func launchedAt(r *wal.Resource) int64 {
	if r.Instance == nil {
		return 0
	}
	return r.Instance.LaunchTime
}

// AdoptionMismatches implements AdoptionChecker: what a launch fixes and
// the group names — the image, the subnet and the security groups (an
// Ovi group by its name, any other by id) — must be the instance's.
func (InstanceKind) AdoptionMismatches(u *Unit, r *wal.Resource, observed []*wal.Resource) []string {
	g, in := u.Group, r.Instance
	if g == nil || in == nil {
		return nil
	}
	var out []string
	if g.Image != "" && g.Image != in.ImageID {
		out = append(out, fmt.Sprintf("image differs (%s, %s wants %s), fixed at launch", orNone(in.ImageID), u.Name, g.Image))
	}
	if g.SubnetID != "" && g.SubnetID != in.SubnetID {
		out = append(out, fmt.Sprintf("subnet differs (%s, %s wants %s), fixed at launch", orNone(in.SubnetID), u.Name, g.SubnetID))
	}
	if len(g.SecurityGroups) > 0 {
		want := resolveGroupRefs(g.SecurityGroups, observed)
		if !sameSet(want, in.SecurityGroups) {
			out = append(out, fmt.Sprintf("security groups differ (%s, %s wants %s)",
				orNone(strings.Join(in.SecurityGroups, ", ")), u.Name, strings.Join(g.SecurityGroups, ", ")))
		}
	}
	return out
}

// resolveGroupRefs turns security group references of a group (sg- ids, or
// names of Ovi's groups) into ids, by the observed managed groups' names;
// a name no observed group has stays as it is (and matches nothing).
func resolveGroupRefs(refs []string, observed []*wal.Resource) []string {
	out := make([]string, len(refs))
	for i, ref := range refs {
		out[i] = ref
		if strings.HasPrefix(ref, "sg-") {
			continue
		}
		for _, o := range observed {
			if o.Kind == wal.ResourceSecurityGroup && managed(o) && groupOf(o) == ref {
				out[i] = o.ID
				break
			}
		}
	}
	return out
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// UnitAdoptionKey implements AdoptionKeyer: the group's size and image
// ("" when it names none: any image).
func (InstanceKind) UnitAdoptionKey(u *Unit) string {
	if u.Group == nil {
		return ""
	}
	return u.Group.Size + "\x00" + u.Group.Image
}

// ResourceAdoptionKeys implements AdoptionKeyer: the instance's size with
// its image, and with any image.
func (InstanceKind) ResourceAdoptionKeys(r *wal.Resource) []string {
	if r.Instance == nil {
		return nil
	}
	return []string{r.Instance.Size + "\x00" + r.Instance.ImageID, r.Instance.Size + "\x00"}
}
