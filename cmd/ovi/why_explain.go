package main

import (
	"context"
	"time"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// whyView is what `ovi why` shows about one decision (JSON: the same).
type whyView struct {
	Decision     whyDecision `json:"decision"`
	Inputs       *whyInputs  `json:"inputs,omitempty"` // nil when the store cannot give them
	Rule         string      `json:"rule"`
	Replay       whyReplay   `json:"replay"`
	Outcomes     []walEntry  `json:"outcomes"`                // executing, executed, failed of the decision
	SupersededBy *walEntry   `json:"superseded_by,omitempty"` // the next decision about the same resource or group
}

// whyDecision is the decision as recorded.
type whyDecision struct {
	ID         string      `json:"id"`
	Revision   revision    `json:"revision"`
	Time       time.Time   `json:"time"`
	Node       string      `json:"node"`
	Term       uint64      `json:"term"`
	CycleID    string      `json:"cycle_id"`
	ResourceID string      `json:"resource_id,omitempty"`
	Decided    wal.Decided `json:"decided"`
}

// whyInputs are the inputs the decision was made from, read by time
// travel at the revision the cycle decided at.
type whyInputs struct {
	Revision      uint64        `json:"revision"`
	ConfigSource  string        `json:"config_source"`
	ConfigDigest  string        `json:"config_digest"`
	Desired       *whyDesired   `json:"desired,omitempty"` // nil: no unit by that name in force
	Live          int           `json:"live"`              // live managed members of the group observed
	Observed      *wal.Resource `json:"observed,omitempty"`
	Differences   []whyChange   `json:"differences,omitempty"`
	Policy        wal.Policy    `json:"policy"`
	Confirmations int           `json:"confirmations"`
	SeenUnwanted  int           `json:"seen_unwanted"` // earlier consecutive observations that showed it unwanted
	LaunchCredit  int           `json:"launch_credit"` // launches not visible yet, credited to the group
	FailedCode    string        `json:"failed_code,omitempty"`
	Version       string        `json:"version"` // the Ovi that decided
}

// whyDesired is the desired unit in force.
type whyDesired struct {
	Kind  wal.ResourceKind  `json:"kind"`
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Size  string            `json:"size,omitempty"`
	Image string            `json:"image,omitempty"`
	Tags  map[string]string `json:"tags,omitempty"`
}

// whyChange is one attribute that differs from the desired unit.
type whyChange struct {
	Attribute string `json:"attribute"`
	Reason    string `json:"reason"`
}

// whyReplay is the verdict of re-running Decide on the inputs.
type whyReplay struct {
	Status      string                  `json:"status"` // identical, differs, not-possible
	RecordedBy  string                  `json:"recorded_by,omitempty"`
	ReplayedBy  string                  `json:"replayed_by"`
	Differences []reconcile.FieldChange `json:"differences,omitempty"`
	Reason      string                  `json:"reason,omitempty"` // why a replay is not possible
}

// Replay statuses.
const (
	replayIdentical   = "identical"
	replayDiffers     = "differs"
	replayNotPossible = "not-possible"
)

// stateCache keeps the states read at each revision, so the decisions of
// one cycle read their common state once.
type stateCache map[uint64]stateView

func (c stateCache) at(ctx context.Context, s *session, rev uint64) (stateView, error) {
	if st, ok := c[rev]; ok {
		return st, nil
	}
	st, err := stateAt(ctx, s, rev)
	if err == nil {
		c[rev] = st
	}
	return st, err
}

// explainDecision builds the view of decision d of cycle cl.
func explainDecision(ctx context.Context, s *session, states stateCache, cl cycleRecords, d walEntry) (whyView, error) {
	v := whyView{Decision: decisionOf(d), Replay: whyReplay{ReplayedBy: version}, Outcomes: outcomesOf(cl, d.Record.DecisionID)}
	in := cl.inputs()
	if in != nil {
		v.Replay.RecordedBy = in.Version
	}
	rev, ok := cl.decidedAt()
	if !ok {
		v.Rule = reconcile.Explain(reconcile.DefaultKinds(), wal.Config{}, nil, nil, d.Record.Decided, in).Rule
		v.Replay.Status, v.Replay.Reason = replayNotPossible, "no revision before the decision"
		return v, nil
	}
	st, err := states.at(ctx, s, rev)
	if err != nil {
		return v, err
	}
	v.Inputs, v.Rule = inputsOf(rev, st, d, in)
	if reconcile.IsAdoption(d.Record.Decided) {
		mem, err := adoptionMemory(ctx, s, d)
		if err != nil {
			return v, err
		}
		v.Replay = replayAdoption(cl, st, mem, d, v.Replay)
	} else {
		plan, why := replayCycle(cl, st)
		v.Replay = verdictOf(plan, why, d, v.Replay)
	}
	next, err := supersededBy(ctx, s, d)
	if err != nil {
		return v, err
	}
	v.SupersededBy = next
	return v, nil
}

func decisionOf(d walEntry) whyDecision {
	r := d.Record
	return whyDecision{ID: r.DecisionID, Revision: d.Revision, Time: r.Time, Node: r.Node, Term: r.Term,
		CycleID: r.CycleID, ResourceID: r.ResourceID, Decided: *r.Decided}
}

// inputsOf picks the decision's inputs out of the state at rev.
func inputsOf(rev uint64, st stateView, d walEntry, in *wal.DecideInputs) (*whyInputs, string) {
	w := &whyInputs{Revision: rev}
	var cfg wal.Config
	if st.Config != nil {
		cfg = st.Config.Config
		w.ConfigSource, w.ConfigDigest, w.Policy = st.Config.Source, st.Config.Digest, cfg.Policy
	}
	for i := range st.Resources {
		if st.Resources[i].ID == d.Record.ResourceID && d.Record.ResourceID != "" {
			w.Observed = &st.Resources[i]
		}
	}
	x := reconcile.Explain(reconcile.DefaultKinds(), cfg, st.Resources, w.Observed, d.Record.Decided, in)
	w.Live = x.Live
	if u := x.Unit; u != nil {
		w.Desired = &whyDesired{Kind: u.Kind, Name: u.Name, Count: u.Count, Tags: u.Tags}
		if u.Group != nil {
			w.Desired.Size, w.Desired.Image = u.Group.Size, u.Group.Image
		}
	}
	for _, c := range x.Changes {
		w.Differences = append(w.Differences, whyChange{Attribute: c.Attribute, Reason: c.Repair.Reason})
	}
	w.SeenUnwanted, w.LaunchCredit, w.FailedCode = x.Seen, x.LaunchCredit, x.FailedCode
	if in != nil {
		w.Confirmations, w.Version = in.Confirmations, in.Version
	}
	return w, x.Rule
}

// verdictOf compares the recorded decision with its replay.
func verdictOf(plan reconcile.Plan, notPossible string, d walEntry, v whyReplay) whyReplay {
	if notPossible != "" {
		v.Status, v.Reason = replayNotPossible, notPossible
		return v
	}
	verdict := reconcile.ReplayDecision(plan, d.Record.DecisionID, d.Record.Decided)
	v.Status = replayIdentical
	if !verdict.Identical {
		v.Status, v.Differences = replayDiffers, verdict.Diffs
	}
	return v
}

// outcomesOf lists the executing, executed and failed records of decision id.
func outcomesOf(cl cycleRecords, id string) []walEntry {
	out := []walEntry{}
	for _, e := range cl.Records {
		switch e.Record.Kind {
		case wal.KindExecuting, wal.KindExecuted, wal.KindFailed:
			if e.Record.DecisionID == id {
				out = append(out, e)
			}
		}
	}
	return out
}

// supersededBy finds the next real decision about the same resource (or,
// for a decision about a group, the same group).
func supersededBy(ctx context.Context, s *session, d walEntry) (*walEntry, error) {
	q := transport.WALQuery{ResourceID: d.Record.ResourceID, Kinds: []wal.Kind{wal.KindDecided}, After: transport.Revision{Main: d.Revision.Main, Sub: d.Revision.Sub},
		Limit: 1000, Consistency: s.consistency()}
	resp, err := s.client.WAL(ctx, q)
	if err != nil {
		return nil, s.apiFailure("read the decisions after "+d.Record.DecisionID, err)
	}
	for _, e := range walEntries(resp.Records) {
		r := e.Record
		if r.Decided == nil || r.Decided.DryRun || r.DecisionID == d.Record.DecisionID {
			continue
		}
		if r.ResourceID == d.Record.ResourceID && r.Decided.Group == d.Record.Decided.Group {
			return &e, nil
		}
	}
	return nil, nil
}

// adoptionMemory is the reconciler's memory when adoption d was planned:
// the Decide inputs of the first cycle after it (an adoption takes the
// turn and leaves the memory as it found it, so the next cycle starts from
// the same); nil when no cycle has recorded them since.
func adoptionMemory(ctx context.Context, s *session, d walEntry) (*wal.DecideInputs, error) {
	resp, err := s.client.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindCycleSummary}, After: transport.Revision{Main: d.Revision.Main, Sub: d.Revision.Sub}, Limit: 20, Consistency: s.consistency()})
	if err != nil {
		return nil, s.apiFailure("read the cycle after the adoption", err)
	}
	for _, e := range walEntries(resp.Records) {
		if sum := e.Record.Summary; sum != nil && sum.Inputs != nil {
			return sum.Inputs, nil
		}
	}
	return nil, nil
}

// replayAdoption re-plans an adoption (ovi adopt) on the state it decided
// from: an adoption records no summary, its decisions are its inputs.
func replayAdoption(cl cycleRecords, st stateView, in *wal.DecideInputs, d walEntry, v whyReplay) whyReplay {
	if st.Config == nil {
		v.Status, v.Reason = replayNotPossible, "no configuration was in force at that revision"
		return v
	}
	decided := make([]wal.Record, 0, len(cl.Records))
	for _, e := range cl.decided() {
		decided = append(decided, e.Record)
	}
	verdict := reconcile.ReplayAdoption(reconcile.DefaultKinds(), st.Config.Config, st.Resources, in, decided, d.Record.DecisionID, d.Record.Decided)
	v.Status = replayIdentical
	if !verdict.Identical {
		v.Status, v.Differences = replayDiffers, verdict.Diffs
	}
	return v
}
