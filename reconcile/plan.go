package reconcile

import (
	"github.com/yairfalse/ovi/wal"
)

// DefaultConfirmations is how many consecutive observations must show a
// resource as unwanted before it is deleted (2: seen in two cycles in a
// row), so one stale answer from an eventually consistent cloud API never
// leads to a deletion.
const DefaultConfirmations = 2

// Plan is the outcome of Decide: every decision in a fixed order, the
// drift counts, and the Memory the next cycle needs.
type Plan struct {
	Actions []PlannedAction `json:"actions"`
	Counts  Counts          `json:"counts"`
	Kinds   []KindCounts    `json:"-"` // Counts per resource kind, by kind name; they sum to Counts
	Memory  Memory          `json:"memory"`
}

// KindCounts are the plan's counts for one resource kind.
type KindCounts struct {
	Kind   string
	Counts Counts
}

// PlannedAction is one decision about a resource of Kind, with its reason
// in words. Create carries Group, Count, the tags to create with (SetTags)
// and, for instances, Size and ImageID; the others concern one ResourceID.
type PlannedAction struct {
	Action     wal.Action        `json:"action"`
	Drift      wal.Drift         `json:"drift"`
	Kind       wal.ResourceKind  `json:"resource_kind"`
	Reason     string            `json:"reason"`
	Group      string            `json:"group,omitempty"`
	ResourceID string            `json:"resource_id,omitempty"`
	Count      int               `json:"count,omitempty"`
	Size       string            `json:"size,omitempty"`
	ImageID    string            `json:"image_id,omitempty"`
	SetTags    map[string]string `json:"set_tags,omitempty"`
	RemoveTags []string          `json:"remove_tags,omitempty"`
	Rule       *wal.RuleChange   `json:"rule,omitempty"` // authorize, revoke
	// Adoptable is, on the report of an unmanaged resource, the desired
	// unit it matches and has room in (see decision.hintAdoptable).
	Adoptable string `json:"adoptable,omitempty"`
	// Volume is the typed target of a volume create, modify, attach or
	// detach; Size carries its text form, for people (volumeAction).
	Volume *wal.VolumeTarget `json:"volume,omitempty"`
}

// volumeAction is a volume decision with target t: typed in Volume (what
// format 6 records and the executor reads), in words in Size.
func volumeAction(a wal.Action, t wal.VolumeTarget, reason string) PlannedAction {
	return PlannedAction{Action: a, Size: t.String(), Volume: &t, Reason: reason}
}

// Target is the action's volume target: Volume, else the text form in
// Size (a decision recorded before format 6).
func (a PlannedAction) Target() (wal.VolumeTarget, error) {
	if a.Volume != nil {
		return *a.Volume, nil
	}
	return wal.ParseVolumeTarget(a.Action, a.Size)
}

// Counts classifies the live observed resources (and the missing
// instances) of one plan.
type Counts struct {
	Observed  int `json:"observed"`  // live resources considered (terminating ones are left out)
	InSync    int `json:"in_sync"`   // managed, wanted, size and tags as desired
	Missing   int `json:"missing"`   // instances to create
	Unwanted  int `json:"unwanted"`  // managed, not (or no longer) wanted
	Drifted   int `json:"drifted"`   // managed, wanted, size or tags differ
	Unmanaged int `json:"unmanaged"` // not Ovi's: reported only
	Pending   int `json:"pending"`   // launched earlier, not visible yet
	Protected int `json:"protected"` // refusals because of ovi:blessed
}

// plus is c + o, field by field.
func (c Counts) plus(o Counts) Counts {
	return Counts{Observed: c.Observed + o.Observed, InSync: c.InSync + o.InSync, Missing: c.Missing + o.Missing,
		Unwanted: c.Unwanted + o.Unwanted, Drifted: c.Drifted + o.Drifted, Unmanaged: c.Unmanaged + o.Unmanaged,
		Pending: c.Pending + o.Pending, Protected: c.Protected + o.Protected}
}

// Memory is what one cycle hands to the next. It lives in the leader's
// engine; an engine that did not record the WAL's last cycle (a new
// leader, each standalone run) rebuilds Unwanted and Launched from the WAL
// (UnwantedHistory, LaunchHistory), which at worst delays a deletion by
// one more confirmation (the safe direction).
type Memory struct {
	// Unwanted counts, per resource id, the consecutive observations in
	// which the resource was unwanted.
	Unwanted map[string]int `json:"unwanted,omitempty"`
	// Launched holds instances launched by earlier cycles that have not
	// shown up in an observation yet; they count towards their group for
	// a few cycles so a slow DescribeInstances never causes a second launch.
	Launched map[string]Launch `json:"launched,omitempty"`
	// Failed holds actions whose last attempt failed with a terminal
	// provider error (key from actionKey, value the error code). They are
	// held instead of retried blindly until the configuration changes.
	Failed map[string]string `json:"failed,omitempty"`
}

// Launch is one created resource in Memory.Launched.
type Launch struct {
	Kind   wal.ResourceKind `json:"kind,omitempty"` // 0 means an instance (memories before kinds)
	Group  string           `json:"group"`
	Cycles int              `json:"cycles"` // observations since the launch that did not show it
}

// Actionable reports whether the action changes the cloud (Create,
// Delete, UpdateTags, Resize) rather than explaining why not.
func (a PlannedAction) Actionable() bool {
	switch a.Action {
	case wal.ActionCreate, wal.ActionDelete, wal.ActionUpdateTags, wal.ActionResize,
		wal.ActionAuthorize, wal.ActionRevoke, wal.ActionStart,
		wal.ActionModify, wal.ActionAttach, wal.ActionDetach, wal.ActionAdopt, wal.ActionProtect:
		return true
	}
	return false
}

// Decided is the WAL payload recording the action.
// A volume target is recorded typed, not in Size: a leader writing an
// older format writes its text there (wal.VolumeTarget).
func (a PlannedAction) Decided(dryRun bool) *wal.Decided {
	d := &wal.Decided{
		Action: a.Action, Drift: a.Drift, ResourceKind: a.Kind, Reason: a.Reason, DryRun: dryRun, Group: a.Group,
		Count: a.Count, Size: a.Size, ImageID: a.ImageID, SetTags: a.SetTags, RemoveTags: a.RemoveTags,
		Rule: a.Rule, Adoptable: a.Adoptable,
	}
	if a.Volume != nil {
		t := *a.Volume
		d.Volume, d.Size = &t, ""
	}
	return d
}

// actionKey names an action for Memory.Failed: the group for creates
// (prefixed by the kind, except instances), the resource for everything
// else (cloud ids are unique across kinds).
func actionKey(a PlannedAction) string {
	if a.Action == wal.ActionCreate {
		if a.Kind != wal.ResourceInstance && a.Kind != 0 {
			return "create/" + a.Kind.String() + "/" + a.Group
		}
		return "create/" + a.Group
	}
	return a.Action.String() + "/" + a.ResourceID
}

// actionRank orders a plan: changes first (creates, tag updates, starts,
// resizes, modifies, attaches, detaches — a detach before the deletes that
// wait for it —, deletes), then refusals, holds and reports.
func actionRank(a wal.Action) int {
	switch a {
	case wal.ActionCreate:
		return 0
	case wal.ActionUpdateTags, wal.ActionAuthorize, wal.ActionRevoke, wal.ActionProtect:
		return 1
	case wal.ActionStart:
		return 2
	case wal.ActionResize:
		return 3
	case wal.ActionModify:
		return 4
	case wal.ActionAttach:
		return 5
	case wal.ActionDetach:
		return 6
	case wal.ActionDelete:
		return 7
	case wal.ActionRefuse:
		return 8
	case wal.ActionHold:
		return 9
	}
	return 10
}
