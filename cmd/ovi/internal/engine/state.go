package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// agentState serves the reconciler's reads from the agent's local FSM. It
// is used on the leader only, right after its Barrier, so local reads see
// every committed record.
type agentState struct{ agent *cluster.Agent }

// Resources returns the last observation of every resource.
func (s agentState) Resources(context.Context) ([]wal.Resource, error) {
	states, err := s.agent.FSM().Resources(0)
	if err != nil {
		return nil, fmt.Errorf("read observed resources: %w", err)
	}
	out := make([]wal.Resource, 0, len(states))
	for _, st := range states {
		if st.Record.Observed != nil {
			out = append(out, st.Record.Observed.Resource)
		}
	}
	return out, nil
}

// Config returns the configuration in force (nil if none yet).
func (s agentState) Config(context.Context) (*wal.ConfigApplied, error) {
	cfg, _, err := s.agent.FSM().Config(0)
	if err != nil {
		return nil, fmt.Errorf("read configuration in force: %w", err)
	}
	return cfg, nil
}

// OpenIntents returns the decisions that have no outcome yet.
func (s agentState) OpenIntents(context.Context) ([]reconcile.Intent, error) {
	intents, err := s.agent.FSM().OpenIntents(0)
	if err != nil {
		return nil, fmt.Errorf("read open intents: %w", err)
	}
	out := make([]reconcile.Intent, len(intents))
	for i, in := range intents {
		out[i] = reconcile.Intent{Decided: in.Decided, Executing: in.Executing}
	}
	return out, nil
}

// launchDecisionLead is how much earlier than the launches asked for the
// decisions naming their groups are looked up (decided → executed usually
// takes seconds; a recovery can take longer).
const launchDecisionLead = time.Hour

// Launches lists the executed creates recorded since a time, each with
// the group its decision named and the instances no observation has
// recorded since (reconcile.LaunchHistory): a new leader credits those
// EC2 does not show yet instead of launching them again.
func (s agentState) Launches(_ context.Context, since time.Time) ([]reconcile.RecordedLaunch, error) {
	recs, err := s.agent.Store().Replay(mvcc.ReplayFilter{
		Kinds: []wal.Kind{wal.KindDecided, wal.KindExecuted, wal.KindObserved}, Since: since.Add(-launchDecisionLead)})
	if err != nil {
		return nil, fmt.Errorf("read recent launches: %w", err)
	}
	groups, seen := map[string]string{}, map[string]bool{}
	var out []reconcile.RecordedLaunch
	for _, ra := range recs {
		r := ra.Record
		switch {
		case r.Observed != nil:
			seen[r.ResourceID] = true
		case r.Decided != nil && r.Decided.Action == wal.ActionCreate:
			groups[r.DecisionID] = r.Decided.Group
		case r.Executed != nil && r.Executed.Action == wal.ActionCreate && !r.Time.Before(since):
			if g, ok := groups[r.DecisionID]; ok {
				out = append(out, reconcile.RecordedLaunch{Group: g, IDs: slices.Clone(r.Executed.ResourceIDs), At: r.Time})
			}
		}
	}
	for i := range out {
		out[i].IDs = slices.DeleteFunc(out[i].IDs, func(id string) bool { return seen[id] })
	}
	return out, nil
}

// LastCycle returns the latest recorded cycle (reconcile.UnwantedHistory):
// the summary cycles/last holds and the decided records of its cycle, read
// between the cycle's start (the summary's time less its duration) and the
// summary. A
// standalone run and a new leader rebuild their confirmation counts from
// it.
func (s agentState) LastCycle(context.Context) (reconcile.RecordedCycle, error) {
	sum, _, err := s.agent.FSM().LastSummary(0)
	if err != nil {
		return reconcile.RecordedCycle{}, fmt.Errorf("read the last cycle summary: %w", err)
	}
	if sum == nil || sum.Summary == nil {
		return reconcile.RecordedCycle{}, nil
	}
	start := sum.Time.Add(-time.Duration(sum.Summary.DurationMS+1) * time.Millisecond)
	// The time index alone: only this window is walked, not every decision.
	recs, err := s.agent.Store().Replay(mvcc.ReplayFilter{Since: start, Until: sum.Time.Add(time.Nanosecond)})
	if err != nil {
		return reconcile.RecordedCycle{}, fmt.Errorf("read the last cycle's decisions: %w", err)
	}
	out := reconcile.RecordedCycle{ID: sum.CycleID, Summary: sum.Summary}
	for _, ra := range recs {
		if ra.Record.Kind == wal.KindDecided && ra.Record.CycleID == sum.CycleID {
			out.Decided = append(out.Decided, ra.Record)
		}
	}
	return out, nil
}
