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
// Deletes, and tag updates with identical changes, of one kind are
// batched (up to MaxBatchIDs ids per call; the executor splits further
// where its cloud API takes fewer). Each batch: commit executing, call the
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
	if first.Action != wal.ActionDelete && first.Action != wal.ActionUpdateTags && first.Action != wal.ActionStart {
		return i + 1
	}
	j := i + 1
	for j < len(ds) && j-i < MaxBatchIDs {
		a := ds[j].Action
		if a.Action != first.Action || a.Kind != first.Kind || !maps.Equal(a.SetTags, first.SetTags) || !slices.Equal(a.RemoveTags, first.RemoveTags) {
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

// call makes the provider call for a batch through the executor of its
// kind: one error per decision, and the ids a Create made.
func (c *cycle) call(ctx context.Context, batch []DecisionReport) ([]error, []string) {
	errs := make([]error, len(batch))
	kp, call, err := c.buildCall(ctx, batch)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs, nil
	}
	res := kp.Execute(ctx, call)
	for i := range errs {
		if i < len(res.Errs) {
			errs[i] = res.Errs[i]
		} else {
			errs[i] = &unansweredError{id: batch[i].Action.ResourceID}
		}
	}
	return errs, res.Created
}

// buildCall is the executor of a batch's kind and the Call it is sent
// (the budget predicts the calls of exactly this Call).
func (c *cycle) buildCall(ctx context.Context, batch []DecisionReport) (KindProvider, Call, error) {
	a := batch[0].Action
	kp, err := c.e.opts.Provider.Kind(ctx, a.Kind)
	if err != nil {
		return nil, Call{}, fmt.Errorf("reconcile: provider for %s: %w", a.Kind, err)
	}
	call := Call{Action: a.Action, Decisions: make([]CallDecision, len(batch))}
	for i, d := range batch {
		call.Decisions[i] = CallDecision{DecisionID: d.DecisionID, Action: d.Action}
		if d.Action.Action == wal.ActionCreate {
			call.Decisions[i].ClientToken = ClientToken(d.DecisionID)
			call.Decisions[i].Action.SetTags = withTag(d.Action.SetTags, wal.TagDecision, d.DecisionID)
		}
	}
	if a.Action == wal.ActionCreate {
		if u, ok := c.e.kinds.Unit(&c.desired.Config, a.Kind, a.Group); ok {
			call.Unit = &u
		}
	}
	return kp, call, nil
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
			c.e.memory.Failed[actionKey(d.Action)] = pe.Code
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
		c.e.memory.Launched[id] = Launch{Kind: d.Action.Kind, Group: d.Action.Group}
		c.e.launchedAt[id] = c.e.opts.Now()
	}
	return launched
}

func executedMessage(a PlannedAction, n int) string {
	switch a.Action {
	case wal.ActionCreate:
		if a.Kind == wal.ResourceSecurityGroup {
			return "Created security group " + a.Group
		}
		if a.Kind == wal.ResourceVolume {
			return "Created volume " + a.Group
		}
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
	case wal.ActionAuthorize:
		return "Authorized " + a.Rule.String()
	case wal.ActionRevoke:
		return "Revoked " + a.Rule.String()
	case wal.ActionStart:
		return "Started"
	case wal.ActionModify:
		return "Modified to " + a.Size
	case wal.ActionAttach:
		return "Attached to " + a.Size
	case wal.ActionDetach:
		return "Detached from " + a.Size
	case wal.ActionAdopt:
		return "Adopted into " + a.Group
	case wal.ActionProtect:
		return "Termination protection on (DisableApiTermination)"
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
