package reconcile

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yairfalse/ovi/wal"
)

// AdoptRequest asks the engine for one adoption (`ovi adopt`).
type AdoptRequest struct {
	Selection AdoptSelection
	// Config, if set, is put in force first (recorded unless this is a dry
	// run, as a cycle's Request.Config is) and the resources are adopted
	// into it: a file and the adoption of what it describes in one step,
	// before any cycle could create what is adopted.
	Config *wal.ConfigApplied
	// DryRun plans only: the caller is shown the decisions, flagged
	// dry_run, and nothing is written to the cloud or the WAL.
	DryRun bool
	// Progress, if set, is called with every record once it is committed
	// (on a dry run: with every record, none committed).
	Progress func(wal.Record)
}

// Adopt takes the turn like a cycle, so it never overlaps one, and adopts
// the selected resources into the selected unit of the configuration in
// force: it resolves open intents first (not on a dry run), observes every
// kind (recording what changed, as a cycle does), plans (PlanAdoption,
// with the engine's memory: launches in flight take room),
// records one decided record per considered resource (adopt, or refuse
// with the reason), then for each adoption commits executing, writes the
// management tags with ovi:decision=<decision id> (the kind's executor,
// ActionAdopt) and commits executed or failed. It records no cycle summary:
// an adoption is not a reconcile cycle, and the next cycle's confirmations
// and memory are untouched. An input error (unknown unit or resource)
// wraps ErrAdoptInput and records nothing.
func (e *Engine) Adopt(ctx context.Context, req AdoptRequest) (Report, error) {
	if err := e.acquire(ctx); err != nil {
		return Report{}, err
	}
	defer e.release()
	var recovered Report
	if !req.DryRun {
		var err error
		if recovered, err = e.recoverOpen(ctx, req.Progress); err != nil {
			return recovered, err
		}
	}
	c := e.newCycle(Request{DryRun: req.DryRun, Config: req.Config, Progress: req.Progress})
	err := c.adopt(ctx, req.Selection)
	c.report.Decisions = append(recovered.Decisions, c.report.Decisions...)
	c.report.Records += recovered.Records
	c.report.Duration = e.opts.Now().Sub(c.start)
	return c.report, err
}

// adopt is the body of Adopt.
func (c *cycle) adopt(ctx context.Context, sel AdoptSelection) error {
	observed, _, err := c.e.observeAll(ctx)
	if err != nil {
		return err
	}
	if err := c.adoptionConfig(ctx, observed, sel); err != nil {
		return err
	}
	plan, err := c.e.decider().PlanAdoption(c.desired.Config, observed, c.e.memory, sel)
	if err != nil {
		return err
	}
	if err := c.recordObserved(ctx, observed); err != nil {
		return err
	}
	if err := c.recordAdoptions(ctx, plan); err != nil {
		return err
	}
	if c.req.DryRun {
		return nil
	}
	return c.execute(ctx)
}

// adoptionConfig picks the configuration the adoption is planned against
// (the request's or the one in force) and, when the request's is new and
// the selection plans, records it (configure) — nothing is recorded for a
// request the planner refuses.
func (c *cycle) adoptionConfig(ctx context.Context, observed []wal.Resource, sel AdoptSelection) error {
	if c.req.Config == nil {
		stored, err := c.e.opts.State.Config(ctx)
		if err != nil {
			return fmt.Errorf("reconcile: read the stored configuration: %w", err)
		}
		if stored == nil {
			return ErrNoConfig
		}
		c.desired = *stored
		c.report.ConfigSource, c.report.ConfigDigest = stored.Source, stored.Digest
		return nil
	}
	if err := ValidateConfig(&c.req.Config.Config); err != nil {
		return fmt.Errorf("reconcile: refused the configuration from %s: %w", c.req.Config.Source, err)
	}
	if _, err := c.e.decider().PlanAdoption(c.req.Config.Config, observed, c.e.memory, sel); err != nil {
		return err
	}
	return c.configure(ctx)
}

// decider is the engine's Decide parameters (its kinds, confirmations).
func (e *Engine) decider() Decider {
	return Decider{Confirmations: e.opts.Confirmations, Kinds: e.kinds}
}

// recordObserved records what changed since the last observation, as a
// cycle's observe does.
func (c *cycle) recordObserved(ctx context.Context, observed []wal.Resource) error {
	last, err := c.e.opts.State.Resources(ctx)
	if err != nil {
		return fmt.Errorf("reconcile: read last observations: %w", err)
	}
	changes := diffObserved(last, observed)
	recs := make([]wal.Record, 0, len(changes))
	for i := range changes {
		o := changes[i]
		recs = append(recs, c.record(wal.KindObserved, o.Resource.ID, "", func(r *wal.Record) { r.Observed = &o }))
		c.report.Changes.add(o.Change)
	}
	return c.propose(ctx, recs...)
}

// recordAdoptions numbers the adoption's decisions (cycle id + index, as
// a cycle's) and records them; an adoption carries its ovi:decision tag.
func (c *cycle) recordAdoptions(ctx context.Context, plan AdoptionPlan) error {
	recs := make([]wal.Record, 0, len(plan.Actions))
	for i, a := range plan.Actions {
		id := c.id + "-" + strconv.Itoa(i+1)
		dr := DecisionReport{DecisionID: id, Action: a, Status: StatusPlanned, Recorded: true}
		if a.Action == wal.ActionAdopt {
			dr.Action.SetTags = withTag(a.SetTags, wal.TagDecision, id)
			if !c.req.DryRun {
				dr.Status = StatusNotRun
			}
		}
		c.metrics.noteKind(id, a.Kind)
		d := dr.Action.Decided(c.req.DryRun)
		recs = append(recs, c.record(wal.KindDecided, a.ResourceID, id, func(r *wal.Record) { r.Decided = d }))
		c.report.Decisions = append(c.report.Decisions, dr)
	}
	return c.propose(ctx, recs...)
}

// recoverAdopt settles an adoption a previous leader started: the
// resource already carries its ovi:decision → executed (Recovered); it is
// gone → failed NotFound; another decision made it Ovi's meanwhile →
// failed AlreadyManaged (its tags are left alone); otherwise the tags are
// written again (the same tags: idempotent).
func (r *recovery) recoverAdopt(ctx context.Context, d *DecisionReport, attempt int) error {
	res, exists, err := r.lookup(ctx, d.Action.Kind, d.Action.ResourceID)
	if err != nil {
		r.unknown(d, err)
		return nil
	}
	a := d.Action
	switch {
	case !exists:
		d.Status, d.Code, d.Message = StatusFailed, CodeNotFound, "Resource no longer exists"
		return r.proposeOutcome(ctx, r.failedRecord(d, false))
	case res.Tags[wal.TagDecision] == d.DecisionID && managed(&res):
		d.Status, d.ResourceIDs, d.Message = StatusExecuted, []string{a.ResourceID}, "Recovered: already adopted into "+a.Group
		return r.proposeOutcome(ctx, r.executedRecord(d))
	case managed(&res):
		d.Status, d.Code = StatusFailed, CodeAlreadyManaged
		d.Message = fmt.Sprintf("Already managed by Ovi (group %s, decision %s); left as it is", groupOf(&res), res.Tags[wal.TagDecision])
		return r.proposeOutcome(ctx, r.failedRecord(d, false))
	}
	return r.retry(ctx, d, attempt)
}

// CodeAlreadyManaged: an interrupted adoption found its resource made
// Ovi's by another decision.
const CodeAlreadyManaged = "AlreadyManaged"
