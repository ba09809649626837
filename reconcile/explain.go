package reconcile

import (
	"fmt"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Explanation is what one recorded decision was made from, beyond the
// observed resource itself: the desired unit in force, the attributes of
// the resource that differ from it, the memory Decide read for it, and
// the rule that fired, in words.
type Explanation struct {
	Unit         *Unit    // the desired unit in force; nil when the file has none by that name
	Live         int      // live managed members of the unit observed
	Changes      []Change // the resource's drifting attributes against Unit
	Seen         int      // earlier consecutive observations that showed the resource unwanted
	LaunchCredit int      // launches of the unit not visible yet, credited to it
	FailedCode   string   // the terminal failure that holds the action, if any
	Rule         string
}

// Explain explains decision d about resource r (nil for a create) from
// the configuration, observed resources and inputs the cycle decided with.
func Explain(kinds *Kinds, desired wal.Config, observed []wal.Resource, r *wal.Resource, d *wal.Decided, in *wal.DecideInputs) Explanation {
	var x Explanation
	seen := make(map[string]bool, len(observed))
	for i := range observed {
		o := &observed[i]
		seen[o.ID] = true
		if managed(o) && !terminating(o) && o.Kind == d.ResourceKind && groupOf(o) == d.Group {
			x.Live++
		}
	}
	if u, ok := kinds.Unit(&desired, d.ResourceKind, d.Group); ok && d.Group != "" {
		x.Unit = &u
		if h, ok := kinds.Get(d.ResourceKind); ok && r != nil && r.ID != "" {
			x.Changes = h.Diff(&u, r)
		}
	}
	confirm := DefaultConfirmations
	if in != nil {
		confirm = in.Confirmations
		x.Seen, x.LaunchCredit, x.FailedCode = memoryFor(in, d, r, seen)
	}
	x.Rule = rule(d, desired.Policy, confirm, x.Seen)
	return x
}

// memoryFor picks the entries of the recorded memory that concern d.
func memoryFor(in *wal.DecideInputs, d *wal.Decided, r *wal.Resource, observed map[string]bool) (seen, credit int, failed string) {
	id := ""
	if r != nil {
		id = r.ID
	}
	for _, u := range in.Unwanted {
		if u.ResourceID == id {
			seen = u.Seen
		}
	}
	for _, l := range in.Launched {
		if l.Group == d.Group && l.Kind == d.ResourceKind && l.Cycles < in.Confirmations && !observed[l.ResourceID] {
			credit++
		}
	}
	create := actionKey(PlannedAction{Action: wal.ActionCreate, Kind: d.ResourceKind, Group: d.Group})
	for _, f := range in.Failed {
		if (id == "" && f.Key == create) || (id != "" && strings.HasSuffix(f.Key, "/"+id)) {
			failed = f.Code
		}
	}
	return seen, credit, failed
}

// rule says in words which rule of Decide produced d (see Decide's
// classification table).
func rule(d *wal.Decided, p wal.Policy, confirm, seen int) string {
	reason := d.Reason
	switch {
	case d.Action == wal.ActionAdopt:
		return "ovi adopt: an unmanaged resource that matches the unit (once adopted, only its tags would change) is tagged into it while the unit has room, in id order"
	case d.Action == wal.ActionRefuse && strings.HasPrefix(reason, "Not adopted into "):
		return "ovi adopt: a resource already managed, differing from the unit in anything but tags, or beyond the unit's count is not adopted"
	case d.Action == wal.ActionReport:
		return "not tagged ovi:managed=true: an unmanaged resource is reported, never touched"
	case strings.HasPrefix(reason, "Protected:"):
		return "tagged ovi:blessed=true on the cloud resource: never deleted, stopped or resized, in the file or not"
	case strings.Contains(reason, "policy delete_unwanted is false"):
		return "policy delete_unwanted is false: an unwanted managed resource is refused, not deleted"
	case strings.Contains(reason, "policy allow_disruptive is false"):
		return "policy allow_disruptive is false: a change that needs a stop (resize) is refused"
	case strings.HasPrefix(reason, "Held: re-checking"):
		return fmt.Sprintf("an unwanted resource is deleted only after %d consecutive observations show it unwanted; this was observation %d", confirm, seen+1)
	case strings.HasPrefix(reason, "Held: deletion cap"):
		return fmt.Sprintf("at most max_deletions_per_run = %d deletions per run; the newest unwanted members go first", p.MaxDeletions)
	case strings.Contains(reason, "not visible yet"):
		return "launches not yet visible to DescribeInstances count towards their group, so a lagging cloud never causes a second launch"
	case strings.HasPrefix(reason, "Held: last attempt failed permanently"):
		return "an action whose last attempt failed with a terminal error is held until a configuration with another digest is applied"
	case d.Action == wal.ActionCreate:
		return "fewer live members than the desired count: one create per unit for what is missing (minus launches not yet visible)"
	case d.Action == wal.ActionDelete:
		return fmt.Sprintf("managed, unwanted, not blessed, delete_unwanted is true, seen unwanted %d times (confirmations %d), under the deletion cap of %d",
			seen+1, confirm, p.MaxDeletions)
	case d.Action == wal.ActionUpdateTags:
		return "a kept member's tags differ: the desired tags are set, others removed except ovi:* and aws:*"
	case d.Action == wal.ActionProtect:
		return "a managed instance tagged ovi:blessed carries EC2's own guard as well: DisableApiTermination is set whenever it is observed off"
	case d.Action == wal.ActionResize:
		return "a kept member's size differs and policy allow_disruptive is true: stop, change the type, start"
	}
	return "the " + d.Action.String() + " rule of Decide"
}
