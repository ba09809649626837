package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/yairfalse/ovi/wal"
)

// Error codes the engine records itself (the rest come from the provider).
const (
	CodeAbandoned = "Abandoned" // decided, never started; a later cycle decides again
	CodeProtected = "Protected" // became blessed before a recovery could act
	CodeNotFound  = "NotFound"  // the resource is gone, the action is moot
	CodeUnknown   = "Unknown"   // an error without a provider code
)

// execute runs the actionable decisions of the cycle in plan order.
// Deletes, and tag updates with identical changes, are batched (up to
// MaxBatchIDs ids per call). Each batch: commit executing, call the
// provider, commit executed or failed. A failure does not stop later
// batches; a failed proposal or a done ctx does.
func (c *cycle) execute(ctx context.Context) error {
	ds := c.report.Decisions
	for i := 0; i < len(ds); {
		if !ds[i].Action.Actionable() {
			i++
			continue
		}
		j := batchEnd(ds, i)
		if err := c.runBatch(ctx, ds[i:j], 1); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// batchEnd returns the end of the batch starting at ds[i].
func batchEnd(ds []DecisionReport, i int) int {
	first := ds[i].Action
	if first.Action != wal.ActionDelete && first.Action != wal.ActionUpdateTags {
		return i + 1
	}
	j := i + 1
	for j < len(ds) && j-i < MaxBatchIDs {
		a := ds[j].Action
		if a.Action != first.Action || !maps.Equal(a.SetTags, first.SetTags) || !slices.Equal(a.RemoveTags, first.RemoveTags) {
			break
		}
		j++
	}
	return j
}

// runBatch executes decisions of one kind with one provider call. attempt
// is 1 in a cycle and higher when Recover retries.
func (c *cycle) runBatch(ctx context.Context, batch []DecisionReport, attempt int) error {
	intents := make([]wal.Record, len(batch))
	for i := range batch {
		intents[i] = c.executingRecord(&batch[i], attempt)
	}
	c.e.failpoint(FailpointBeforeIntent)
	if err := c.propose(ctx, intents...); err != nil {
		return err
	}
	c.e.failpoint(FailpointAfterIntent)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reconcile: stopped before calling the provider: %w", err)
	}
	errs, launched := c.call(ctx, batch)
	c.e.failpoint(FailpointAfterCall)
	outcomes := make([]wal.Record, 0, len(batch))
	for i := range batch {
		if rec, ok := c.outcome(&batch[i], errs[i], launched); ok {
			outcomes = append(outcomes, rec)
		}
	}
	if err := c.proposeOutcome(ctx, outcomes...); err != nil {
		return err
	}
	c.e.failpoint(FailpointAfterOutcome)
	return nil
}

// call makes the provider call for a batch: one error per decision, and
// the ids a Create launched.
func (c *cycle) call(ctx context.Context, batch []DecisionReport) ([]error, []string) {
	p := c.e.opts.Provider
	a := batch[0].Action
	errs := make([]error, len(batch))
	switch a.Action {
	case wal.ActionCreate:
		res, err := p.Create(ctx, c.createRequest(batch[0].DecisionID, a, a.Count))
		errs[0] = err
		return errs, res.IDs
	case wal.ActionResize:
		errs[0] = p.Resize(ctx, a.ResourceID, a.Size)
	case wal.ActionDelete:
		outs, err := p.Delete(ctx, batchIDs(batch))
		spread(errs, batch, outs, err)
	case wal.ActionUpdateTags:
		outs, err := p.UpdateTags(ctx, TagRequest{IDs: batchIDs(batch), Set: a.SetTags, Remove: a.RemoveTags})
		spread(errs, batch, outs, err)
	}
	return errs, nil
}

func batchIDs(batch []DecisionReport) []string {
	ids := make([]string, len(batch))
	for i, d := range batch {
		ids[i] = d.Action.ResourceID
	}
	return ids
}

// spread maps per-id outcomes (or one error for the whole call) onto the
// decisions. An id the provider did not answer for has an unknown outcome.
func spread(errs []error, batch []DecisionReport, outs []Outcome, callErr error) {
	byID := make(map[string]error, len(outs))
	answered := make(map[string]bool, len(outs))
	for _, o := range outs {
		byID[o.ID], answered[o.ID] = o.Err, true
	}
	for i, d := range batch {
		switch {
		case callErr != nil:
			errs[i] = callErr
		case !answered[d.Action.ResourceID]:
			errs[i] = fmt.Errorf("reconcile: provider returned no outcome for %s", d.Action.ResourceID)
		default:
			errs[i] = byID[d.Action.ResourceID]
		}
	}
}

// createRequest builds the launch of count instances for a decision; the
// network placement comes from the group in the configuration.
func (c *cycle) createRequest(decisionID string, a PlannedAction, count int) CreateRequest {
	req := CreateRequest{Group: a.Group, Count: count, Size: a.Size, ImageID: a.ImageID,
		Tags: withTag(a.SetTags, wal.TagDecision, decisionID), DecisionID: decisionID, ClientToken: ClientToken(decisionID)}
	for _, g := range c.desired.Config.Groups {
		if g.Name == a.Group {
			req.SubnetID, req.SecurityGroups = g.SubnetID, g.SecurityGroups
		}
	}
	return req
}

// outcome turns a call's result into an executed or failed record. An
// error without a provider code (a transport failure, a cancelled call)
// leaves the outcome unknown: nothing is recorded, the intent stays open,
// and recovery finds out what happened.
func (c *cycle) outcome(d *DecisionReport, err error, launched []string) (wal.Record, bool) {
	var pe *ProviderError
	switch {
	case err == nil:
		d.Status, d.ResourceIDs = StatusExecuted, c.affected(d, launched)
		d.Message = executedMessage(d.Action, len(d.ResourceIDs))
		return c.executedRecord(d), true
	case errors.As(err, &pe):
		d.Status, d.Code, d.Message = StatusFailed, pe.Code, pe.Message
		c.report.Failures++
		if pe.Terminal {
			c.e.memory.Failed[actionKey(d.Action.Action, d.Action.Group, d.Action.ResourceID)] = pe.Code
		}
		return c.failedRecord(d, !pe.Terminal), true
	default:
		d.Status, d.Message = StatusUnknown, err.Error()
		c.report.Failures++
		c.e.opts.Logger.Warn("reconcile: outcome unknown, intent left open for recovery",
			"decision", d.DecisionID, "error", err)
		return wal.Record{}, false
	}
}

// affected lists the resources an executed decision touched and
// remembers launches until they show up in an observation.
func (c *cycle) affected(d *DecisionReport, launched []string) []string {
	if d.Action.Action != wal.ActionCreate {
		return []string{d.Action.ResourceID}
	}
	for _, id := range launched {
		c.e.memory.Launched[id] = Launch{Group: d.Action.Group}
		c.e.launchedAt[id] = c.e.opts.Now()
	}
	return launched
}

func executedMessage(a PlannedAction, n int) string {
	switch a.Action {
	case wal.ActionCreate:
		if n < a.Count {
			return fmt.Sprintf("Launched %d of %d instances", n, a.Count)
		}
		return "Launched " + instances(n)
	case wal.ActionDelete:
		return "Successfully deleted"
	case wal.ActionUpdateTags:
		return "Tags updated"
	case wal.ActionResize:
		return "Resized to " + a.Size
	}
	return "Done"
}

// errorCode is the provider's code for err, or CodeUnknown.
func errorCode(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CodeUnknown
}
