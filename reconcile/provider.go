package reconcile

import (
	"context"

	"github.com/yairfalse/ovi/wal"
)

// Provider is the cloud as the reconciler sees it: one observer and one
// executor per resource kind. The aws package implements it for EC2.
type Provider interface {
	// Kind returns the observer and executor of resources of kind k, or an
	// error if the cloud does not serve that kind (or cannot be reached to
	// build it).
	Kind(ctx context.Context, k wal.ResourceKind) (KindProvider, error)
}

// KindProvider observes and acts on the resources of one kind.
type KindProvider interface {
	Observer
	Executor
}

// Observer reads one kind of resource from the cloud. Every method must
// honour ctx cancellation.
type Observer interface {
	// Observe returns every live resource of the kind in the region,
	// managed or not, with the fewest calls (one paginated Describe).
	// Deleted (or terminated) resources are left out.
	Observe(ctx context.Context) ([]wal.Resource, error)
	// FindByDecision returns the live resources tagged
	// ovi:decision=decisionID, so a new leader can see what an
	// interrupted create already did.
	FindByDecision(ctx context.Context, decisionID string) ([]wal.Resource, error)
}

// Executor acts on one kind of resource. Execute makes the cloud calls of
// one batch: decisions of the same kind and action (for Delete and
// UpdateTags, identical changes on several resources; otherwise one
// decision). It returns one error per decision, in order: nil on success,
// a *ProviderError where the cloud gave a code, any other error when the
// outcome is unknown (the intent stays open for recovery). Creates return
// the ids they made. An executor re-checks, just before a destructive
// call, that the resource is not blessed, and never removes ovi:blessed.
type Executor interface {
	Execute(ctx context.Context, call Call) CallResult
}

// Resolver is implemented by an executor that fills in, before a decision
// is recorded, what the file leaves to the cloud (the instance kind's
// default image). A create it cannot resolve is held.
type Resolver interface {
	Resolve(ctx context.Context, a *PlannedAction) error
}

// Call is one batch for an Executor.
type Call struct {
	Action    wal.Action
	Decisions []CallDecision
	// Unit is the desired unit of a Create (its full configuration, e.g. an
	// instance group's subnet and security groups), if it is still desired.
	Unit *Unit
}

// CallDecision is one decision of a Call.
type CallDecision struct {
	DecisionID  string
	ClientToken string // idempotency token of a create, derived from DecisionID
	Action      PlannedAction
}

// CallResult is what an Executor reports.
type CallResult struct {
	Errs    []error  // one per decision
	Created []string // ids a Create made
}

// Outcome is the per-resource result of a batched call. Err is nil on
// success; otherwise it is a *ProviderError where the cloud gave a code.
type Outcome struct {
	ID  string
	Err error
}

// ProviderError is a cloud error with its code (e.g. RequestLimitExceeded,
// UnauthorizedOperation). Terminal errors are not retried.
type ProviderError struct {
	Code     string
	Message  string
	Terminal bool
}

// Error implements error.
func (e *ProviderError) Error() string { return e.Code + ": " + e.Message }

// SpreadOutcomes maps per-id outcomes of a batched call (or one error for
// the whole call) onto the decisions of call, for an Executor. A decision
// whose resource the cloud did not answer for has an unknown outcome.
func SpreadOutcomes(call Call, outs []Outcome, callErr error) []error {
	errs := make([]error, len(call.Decisions))
	byID := make(map[string]error, len(outs))
	answered := make(map[string]bool, len(outs))
	for _, o := range outs {
		byID[o.ID], answered[o.ID] = o.Err, true
	}
	for i, d := range call.Decisions {
		id := d.Action.ResourceID
		switch {
		case callErr != nil:
			errs[i] = callErr
		case !answered[id]:
			errs[i] = &unansweredError{id: id}
		default:
			errs[i] = byID[id]
		}
	}
	return errs
}

type unansweredError struct{ id string }

func (e *unansweredError) Error() string {
	return "reconcile: provider returned no outcome for " + e.id
}

// IDs lists the resource ids of a call's decisions, in order.
func (c Call) IDs() []string {
	ids := make([]string, len(c.Decisions))
	for i, d := range c.Decisions {
		ids[i] = d.Action.ResourceID
	}
	return ids
}
