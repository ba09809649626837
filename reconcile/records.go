package reconcile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/yairfalse/ovi/wal"
)

// record builds a record of this cycle; set fills in the payload.
func (c *cycle) record(kind wal.Kind, resourceID, decisionID string, set func(*wal.Record)) wal.Record {
	r := wal.Record{Kind: kind, ResourceID: resourceID, Time: c.e.opts.Now(), DecisionID: decisionID, CycleID: c.id}
	set(&r)
	return r
}

// propose commits records in batches of Options.BatchSize, reporting
// each committed record to Progress. A failure means this node can no
// longer write the WAL (typically: leadership lost); the cycle stops.
func (c *cycle) propose(ctx context.Context, recs ...wal.Record) error {
	if c.req.DryRun { // a dry run writes nothing: its caller sees its records
		c.show(recs...)
		return nil
	}
	for len(recs) > 0 {
		n := min(len(recs), c.e.opts.BatchSize)
		if _, err := c.e.opts.Log.Propose(ctx, recs[:n]); err != nil {
			return fmt.Errorf("reconcile: propose %d %s record(s): %w", n, recs[0].Kind, err)
		}
		c.report.Records += n
		if c.progress != nil {
			for _, r := range recs[:n] {
				c.progress(r)
			}
		}
		recs = recs[n:]
	}
	return nil
}

// show hands records to the caller without recording them (a dry run's,
// and the unchanged decisions of a watched run).
func (c *cycle) show(recs ...wal.Record) {
	if c.progress == nil {
		return
	}
	for _, r := range recs {
		c.progress(r)
	}
}

// proposeOutcome records outcomes of calls that were made: even if ctx is
// done by now, what happened must reach the WAL if this node still leads.
func (c *cycle) proposeOutcome(ctx context.Context, recs ...wal.Record) error {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.e.opts.OutcomeTimeout)
	defer cancel()
	err := c.propose(octx, recs...)
	if err == nil {
		c.reportOutcomes(recs)
	}
	return err
}

// decide runs Decide against the engine's memory, resolves the default
// image for creates that name none, and keeps the next memory (real
// cycles only: a dry run leaves no trace in the engine).
func (c *cycle) decide(ctx context.Context, observed []wal.Resource) Plan {
	c.e.creditRecentLaunches(c.start)
	c.inputs = RecordedInputs(c.e.opts.Version, c.desired.Digest, c.e.opts.Confirmations, c.e.memory)
	plan := Decider{Confirmations: c.e.opts.Confirmations, Kinds: c.e.kinds}.Decide(c.desired.Config, observed, c.e.memory)
	c.predictResolve(ctx, &plan)
	c.resolve(ctx, &plan)
	c.report.Counts, c.report.Kinds = plan.Counts, plan.Kinds
	if !c.req.DryRun {
		if plan.Memory.Failed == nil {
			plan.Memory.Failed = map[string]string{}
		}
		c.e.memory = plan.Memory
		c.e.lastCycle = c.id
	}
	return plan
}

// resolve lets the executor of each create's kind fill in what the file
// leaves to the cloud (Resolver: an instance group's default image); a
// create it cannot resolve is held.
func (c *cycle) resolve(ctx context.Context, plan *Plan) {
	for i := range plan.Actions {
		a := &plan.Actions[i]
		if a.Action != wal.ActionCreate {
			continue
		}
		kp, err := c.e.opts.Provider.Kind(ctx, a.Kind)
		if err == nil {
			r, ok := kp.(Resolver)
			if !ok {
				continue
			}
			err = r.Resolve(ctx, a)
		}
		if err != nil {
			a.Action = wal.ActionHold
			a.Reason = fmt.Sprintf("Held: %s, but %s", a.Reason, unresolvedReason(err))
		}
	}
}

// unresolvedReason says why a create could not be resolved.
func unresolvedReason(err error) string {
	var ue *UnresolvedError
	if errors.As(err, &ue) {
		return ue.What + " could not be resolved (" + errorCode(ue.Err) + ")"
	}
	return "its parameters could not be resolved (" + errorCode(err) + ")"
}

// UnresolvedError is a Resolver's failure: What names the parameter ("the
// default image"), Err the cause.
type UnresolvedError struct {
	What string
	Err  error
}

func (e *UnresolvedError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *UnresolvedError) Unwrap() error { return e.Err }

// recordDecisions numbers the decisions (cycle id + index) and records
// them. A Refuse/Hold/Report decision identical to one the previous real
// cycle recorded is not written again — also in a run someone watches
// (Request.Progress set, e.g. `ovi reconcile`), whose caller is shown it
// without it being recorded — so a steady fleet does not grow the log
// with the same report every cycle. A dry run records nothing (propose):
// its caller is shown every decision, flagged dry_run.
func (c *cycle) recordDecisions(ctx context.Context, plan Plan) error {
	quiet := make(map[string]string)
	recs := make([]wal.Record, 0, len(plan.Actions))
	var unchanged []wal.Record
	c.report.Decisions = make([]DecisionReport, 0, len(plan.Actions))
	for i, a := range plan.Actions {
		id := c.id + "-" + strconv.Itoa(i+1)
		if a.Action == wal.ActionCreate {
			a.SetTags = withTag(a.SetTags, wal.TagDecision, id)
		}
		dr := DecisionReport{DecisionID: id, Action: a, Status: StatusPlanned, Recorded: true}
		c.metrics.noteKind(id, a.Kind)
		if a.Actionable() && !c.req.DryRun {
			dr.Status = StatusNotRun
		}
		if !a.Actionable() && !c.req.DryRun {
			key := quietKey(a)
			quiet[key] = a.Reason
			dr.Recorded = c.e.quiet[key] != a.Reason
		}
		d := a.Decided(c.req.DryRun)
		rec := c.record(wal.KindDecided, a.ResourceID, id, func(r *wal.Record) { r.Decided = d })
		if dr.Recorded {
			recs = append(recs, rec)
		} else {
			unchanged = append(unchanged, rec)
		}
		c.report.Decisions = append(c.report.Decisions, dr)
	}
	if !c.req.DryRun {
		c.e.quiet = quiet
	}
	if err := c.propose(ctx, recs...); err != nil {
		return err
	}
	c.show(unchanged...)
	return nil
}

// quietKey identifies a non-actionable decision across cycles.
func quietKey(a PlannedAction) string {
	return a.Action.String() + "/" + a.Group + "/" + a.ResourceID
}

// withTag returns a copy of tags with k=v added.
func withTag(tags map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(tags)+1)
	for tk, tv := range tags {
		out[tk] = tv
	}
	out[k] = v
	return out
}

// summarize records the cycle summary.
func (c *cycle) summarize(ctx context.Context) error {
	s := wal.CycleSummary{
		DryRun: c.req.DryRun, Observed: c.report.Counts.Observed, InSync: c.report.Counts.InSync,
		Missing: c.report.Counts.Missing, Unwanted: c.report.Counts.Unwanted, Drifted: c.report.Counts.Drifted,
		Unmanaged: c.report.Counts.Unmanaged, Failures: c.report.Failures,
		DurationMS: c.e.opts.Now().Sub(c.start).Milliseconds(), Inputs: c.inputs, Budget: c.apiBudget(),
	}
	for _, d := range c.report.Decisions {
		if d.Action.Actionable() {
			s.Actions++
		}
	}
	return c.propose(ctx, c.record(wal.KindCycleSummary, "", "", func(r *wal.Record) { r.Summary = &s }))
}

// ClientToken is the RunInstances idempotency token of a decision: fixed
// length, ASCII, derived only from the decision id, so a new leader
// retrying the same decision sends the same token.
func ClientToken(decisionID string) string {
	sum := sha256.Sum256([]byte(decisionID))
	return "ovi-" + hex.EncodeToString(sum[:16])
}

// executingRecord is the intent committed before the provider call.
func (c *cycle) executingRecord(d *DecisionReport, attempt int) wal.Record {
	a := d.Action
	ex := &wal.Executing{Action: a.Action, Description: startMessage(a, attempt), Attempt: attempt}
	if a.Action == wal.ActionCreate {
		ex.ClientToken = ClientToken(d.DecisionID)
	}
	return c.record(wal.KindExecuting, a.ResourceID, d.DecisionID, func(r *wal.Record) { r.Executing = ex })
}

func startMessage(a PlannedAction, attempt int) string {
	var msg string
	switch a.Action {
	case wal.ActionCreate:
		msg = "Starting launch of " + instances(a.Count)
		if a.Kind == wal.ResourceSecurityGroup {
			msg = "Starting creation of security group " + a.Group
		}
		if a.Kind == wal.ResourceVolume {
			msg = "Starting creation of volume " + a.Group + " (" + a.Size + ")"
		}
	case wal.ActionDelete:
		msg = "Starting deletion"
	case wal.ActionUpdateTags:
		msg = "Starting tag update"
	case wal.ActionResize:
		msg = "Starting resize to " + a.Size + " (stop, change type, start)"
	case wal.ActionAuthorize, wal.ActionRevoke:
		msg = "Starting " + a.Action.String() + " of " + a.Rule.String()
	case wal.ActionStart:
		msg = "Starting the stopped instance"
	case wal.ActionModify, wal.ActionAttach, wal.ActionDetach:
		msg = "Starting " + a.Action.String() + " (" + a.Size + ")"
	case wal.ActionAdopt:
		msg = "Starting adoption into " + a.Group
	case wal.ActionProtect:
		msg = "Starting to set termination protection (DisableApiTermination)"
	}
	if attempt > 1 {
		msg += fmt.Sprintf(" (attempt %d, after failover)", attempt)
	}
	return msg
}

// executedRecord is the success outcome.
func (c *cycle) executedRecord(d *DecisionReport) wal.Record {
	ex := &wal.Executed{Action: d.Action.Action, Message: d.Message, Recovered: d.Recovered}
	if d.Action.Action == wal.ActionCreate {
		ex.ResourceIDs = d.ResourceIDs
	}
	return c.record(wal.KindExecuted, d.Action.ResourceID, d.DecisionID, func(r *wal.Record) { r.Executed = ex })
}

// failedRecord is the failure outcome, with the provider's error code.
func (c *cycle) failedRecord(d *DecisionReport, retryable bool) wal.Record {
	f := &wal.Failed{Action: d.Action.Action, Code: d.Code, Message: d.Message, Retryable: retryable}
	return c.record(wal.KindFailed, d.Action.ResourceID, d.DecisionID, func(r *wal.Record) { r.Failed = f })
}
