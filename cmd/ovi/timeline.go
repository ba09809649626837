package main

import (
	"slices"
	"strings"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// stateGone is the timeline's name for a resource no longer in the cloud.
const stateGone = "gone"

// timeline is one resource's lifecycle, built from its WAL records by
// buildTimeline (pure, so `ovi wal analyze` is testable).
type timeline struct {
	ResourceID string          `json:"resource_id"`
	Resource   *wal.Resource   `json:"resource,omitempty"` // the last observation
	States     []timelineState `json:"states"`
	Events     []timelineEvent `json:"events"`
	Counts     timelineCounts  `json:"counts"`
}

// timelineState is one state the resource was in.
type timelineState struct {
	State      string     `json:"state"`
	Since      time.Time  `json:"since"`
	Until      *time.Time `json:"until,omitempty"` // nil: current (or final, when gone)
	Seconds    int64      `json:"duration_seconds"`
	Current    bool       `json:"current"` // still in this state at "now"
	Revision   revision   `json:"revision"`
	DecisionID string     `json:"decision_id,omitempty"` // the decision that moved it here
	Action     wal.Action `json:"action,omitempty"`
	Changes    []string   `json:"changes,omitempty"` // what else changed with the state: "size t3.micro → t3.small"
}

// timelineEvent is a record between states: a decision, an outcome, an
// observation that changed something other than the state, a note.
type timelineEvent struct {
	Time     time.Time `json:"time"`
	Revision revision  `json:"revision"`
	Kind     wal.Kind  `json:"kind"`
	Text     string    `json:"text"`
}

// timelineCounts counts the resource's records.
type timelineCounts struct {
	Observations int `json:"observations"`
	Decisions    int `json:"decisions"`
	Executions   int `json:"executions"`
	Failures     int `json:"failures"`
}

// timelineBuilder carries the state of buildTimeline's single pass.
type timelineBuilder struct {
	t    timeline
	last *wal.Resource // previous observation
	// moving is the latest decision executed on the resource: the
	// transitions that fit its action are attributed to it.
	moving *wal.Record
}

// buildTimeline walks a resource's records (in revision order) and
// returns its states, the events between them and counts. A state is
// attributed to a decision when that decision was executed before it and
// the transition fits its action (create → first state; delete →
// shutting-down, terminated, gone; resize → stopping, stopped, pending,
// running). now ends the current state's duration.
func buildTimeline(resourceID string, entries []walEntry, now time.Time) timeline {
	b := &timelineBuilder{t: timeline{ResourceID: resourceID, States: []timelineState{}, Events: []timelineEvent{}}}
	for _, e := range entries {
		b.add(e)
	}
	b.closeStates(now)
	return b.t
}

// add folds one entry into the timeline.
func (b *timelineBuilder) add(e walEntry) {
	rec := e.Record
	switch {
	case rec.Observed != nil:
		b.t.Counts.Observations++
		b.observe(e)
	case rec.Decided != nil:
		b.t.Counts.Decisions++
		b.event(e, "decided "+rec.DecisionID+": "+rec.Describe())
	case rec.Executing != nil:
		if !slices.Contains([]wal.Action{wal.ActionRefuse, wal.ActionHold, wal.ActionReport}, rec.Executing.Action) {
			b.moving = &rec
		}
	case rec.Executed != nil:
		b.t.Counts.Executions++
		b.event(e, "✓ "+rec.DecisionID+": "+rec.Describe())
	case rec.Failed != nil:
		b.t.Counts.Failures++
		b.event(e, "✗ "+rec.DecisionID+": "+rec.Describe())
	case rec.Note != nil:
		b.event(e, "note: "+rec.Describe())
	case rec.Restore != nil:
		b.event(e, "restore: "+rec.Describe())
	case rec.Leadership != nil:
		b.event(e, "leader: "+rec.Describe())
	}
}

// event appends a between-states event.
func (b *timelineBuilder) event(e walEntry, text string) {
	b.t.Events = append(b.t.Events, timelineEvent{Time: e.Record.Time, Revision: e.Revision, Kind: e.Record.Kind, Text: text})
}

// observe records a new state, or an event when only other fields changed.
func (b *timelineBuilder) observe(e walEntry) {
	obs := e.Record.Observed
	res := obs.Resource
	state := res.State
	if obs.Change == wal.ChangeGone {
		state = stateGone
	}
	if n := len(b.t.States); n > 0 && b.t.States[n-1].State == state {
		if b.last != nil {
			if changes := resourceChanges(*b.last, res); len(changes) > 0 {
				b.event(e, "observed: "+joinChanges(changes))
			}
		}
		b.last = &res
		b.t.Resource = &res
		return
	}
	s := timelineState{State: state, Since: e.Record.Time, Revision: e.Revision}
	s.DecisionID, s.Action = b.mover(res, state, len(b.t.States) == 0)
	if b.last != nil {
		others := slices.DeleteFunc(resourceChanges(*b.last, res), func(c string) bool { return strings.HasPrefix(c, "state ") })
		if len(others) > 0 {
			s.Changes = others
		}
	}
	b.t.States = append(b.t.States, s)
	b.last = &res
	b.t.Resource = &res
}

// mover returns the decision that moved the resource into state, if any.
func (b *timelineBuilder) mover(res wal.Resource, state string, first bool) (string, wal.Action) {
	if b.moving != nil && fitsAction(b.moving.Executing.Action, state, first) {
		return b.moving.DecisionID, b.moving.Executing.Action
	}
	if first && res.Tags[wal.TagDecision] != "" {
		return res.Tags[wal.TagDecision], wal.ActionCreate
	}
	return "", 0
}

// fitsAction reports whether an action explains a move into state.
func fitsAction(a wal.Action, state string, first bool) bool {
	switch a {
	case wal.ActionCreate:
		return first
	case wal.ActionDelete:
		return slices.Contains([]string{"shutting-down", "terminated", stateGone}, state)
	case wal.ActionResize:
		return slices.Contains([]string{"stopping", "stopped", "pending", "running"}, state)
	case wal.ActionStart:
		return slices.Contains([]string{"pending", "running"}, state)
	}
	return false
}

// closeStates sets each state's end and duration: the next state's start,
// or now for the current one (a "gone" state has no duration).
func (b *timelineBuilder) closeStates(now time.Time) {
	states := b.t.States
	for i := range states {
		switch {
		case i+1 < len(states):
			until := states[i+1].Since
			states[i].Until = &until
			states[i].Seconds = int64(until.Sub(states[i].Since) / time.Second)
		case states[i].State != stateGone:
			states[i].Current = true
			states[i].Seconds = int64(max(now.Sub(states[i].Since), 0) / time.Second)
		}
	}
}
