package notify

import (
	"strings"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// EventType is what happened, by its stable name.
type EventType string

// Event types. Never rename one: receivers match on them.
const (
	DriftDetected EventType = "drift.detected"   // a decision to act on drift (missing, unwanted, drifted), or a refusal to repair it
	DriftRepaired EventType = "drift.repaired"   // an action succeeded (executed)
	ActionFailed  EventType = "action.failed"    // an action failed (failed)
	DeleteRefused EventType = "delete.refused"   // an unwanted resource is kept: blessed, policy, or over the deletion cap
	LeaderChanged EventType = "leader.changed"   // a node established leadership of a term
	Compacted     EventType = "compaction"       // history (and maybe audit records) below a revision was dropped
	Adopted       EventType = "resource.adopted" // an unmanaged resource was adopted (ovi adopt: executed)
)

// eventTypes lists every type in documentation order.
func eventTypes() []EventType {
	return []EventType{DriftDetected, DriftRepaired, ActionFailed, DeleteRefused, LeaderChanged, Compacted, Adopted}
}

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool {
	for _, k := range eventTypes() {
		if t == k {
			return true
		}
	}
	return false
}

func eventTypeList() string {
	names := make([]string, 0, len(eventTypes()))
	for _, t := range eventTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// Position is a record's revision: the Raft index and the record's index
// in that entry's batch.
type Position struct {
	Main uint64 `json:"main"`
	Sub  uint32 `json:"sub"`
}

// Less reports whether p is strictly before o.
func (p Position) Less(o Position) bool { return p.Main < o.Main || p.Main == o.Main && p.Sub < o.Sub }

// Event is the JSON body of one webhook request. ID is the record's
// revision ("main.sub"): the same event always has the same id, whichever
// leader sends it, so a receiver can drop a repeat by id.
type Event struct {
	ID           string    `json:"id"`
	Type         EventType `json:"type"`
	Revision     Position  `json:"revision"`
	Time         time.Time `json:"time"` // when the record was proposed
	Node         string    `json:"node"` // the node that recorded it
	Term         uint64    `json:"term"`
	Kind         wal.Kind  `json:"kind"` // the record's kind: decided, executed, failed, leader, compaction
	Resource     string    `json:"resource,omitempty"`
	ResourceKind string    `json:"resource_kind,omitempty"`
	Group        string    `json:"group,omitempty"`
	Cycle        string    `json:"cycle,omitempty"`
	Decision     string    `json:"decision,omitempty"`
	Action       string    `json:"action,omitempty"`
	Drift        string    `json:"drift,omitempty"`
	Reason       string    `json:"reason"`              // one line: the decision's reason, the outcome's message
	Code         string    `json:"code,omitempty"`      // action.failed: the provider's error code
	Retryable    bool      `json:"retryable,omitempty"` // action.failed
	ResourceIDs  []string  `json:"resource_ids,omitempty"`
	Leader       string    `json:"leader,omitempty"`   // leader.changed
	Previous     string    `json:"previous,omitempty"` // leader.changed: the leader before, when known
}

// FromRecord returns the event a committed record at pos stands for, and
// false for a record that is no event (observations, summaries, dry runs,
// decisions in sync or about unmanaged resources, intents, notes, ...).
func FromRecord(pos Position, r *wal.Record) (Event, bool) {
	t, ok := classify(r)
	if !ok {
		return Event{}, false
	}
	ev := Event{
		ID: wal.EventID(pos.Main, pos.Sub), Type: t, Revision: pos, Time: r.Time.UTC(), Node: r.Node, Term: r.Term,
		Kind: r.Kind, Resource: r.ResourceID, Cycle: r.CycleID, Decision: r.DecisionID, Reason: oneLine(r.Describe()),
	}
	switch {
	case r.Decided != nil:
		d := r.Decided
		ev.Action, ev.Drift, ev.ResourceKind, ev.Group = d.Action.String(), d.Drift.String(), d.ResourceKind.String(), d.Group
	case r.Executed != nil:
		ev.Action, ev.ResourceIDs = r.Executed.Action.String(), r.Executed.ResourceIDs
	case r.Failed != nil:
		ev.Action, ev.Code, ev.Retryable = r.Failed.Action.String(), r.Failed.Code, r.Failed.Retryable
	case r.Leadership != nil:
		ev.Leader, ev.Previous = r.Leadership.Leader, r.Leadership.Previous
	}
	return ev, true
}

// classify maps a record to its event type.
func classify(r *wal.Record) (EventType, bool) {
	switch {
	case r.Decided != nil:
		return classifyDecision(r.Decided)
	case r.Executed != nil && r.Executed.Action == wal.ActionAdopt:
		return Adopted, true
	case r.Executed != nil:
		return DriftRepaired, true
	case r.Failed != nil:
		return ActionFailed, true
	case r.Leadership != nil:
		return LeaderChanged, true
	case r.Compaction != nil:
		return Compacted, true
	}
	return "", false
}

// classifyDecision: a refusal or a cap hold of an unwanted resource is a
// refused delete; any other decision to act on drift, or to refuse its
// repair, is drift detected. Holds that only wait (re-checking before a
// delete, a launch pending) and reports of unmanaged resources are no
// events: the decision that follows them is.
func classifyDecision(d *wal.Decided) (EventType, bool) {
	if d.DryRun || d.Drift == wal.DriftInSync || d.Drift == wal.DriftUnmanaged {
		return "", false
	}
	switch d.Action {
	case wal.ActionReport:
		return "", false
	case wal.ActionHold:
		if d.Drift == wal.DriftUnwanted && strings.HasPrefix(d.Reason, "Held: deletion cap") {
			return DeleteRefused, true
		}
		return "", false
	case wal.ActionRefuse:
		if d.Drift == wal.DriftUnwanted {
			return DeleteRefused, true
		}
	}
	return DriftDetected, true
}

// oneLine keeps the first line of s, without control characters.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// wants reports whether the receiver takes events of type t.
func (r *Receiver) wants(t EventType) bool {
	if len(r.Events) == 0 {
		return true
	}
	for _, e := range r.Events {
		if e == t {
			return true
		}
	}
	return false
}
