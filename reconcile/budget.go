package reconcile

import (
	"context"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Budgeter is implemented by a KindProvider that can say, before acting,
// which cloud API calls it will make: the code that batches the calls (the
// aws package) predicts them, so the prediction and the calls cannot drift
// apart. Each method assumes that every call succeeds at its first attempt.
type Budgeter interface {
	// ObserveCalls are the calls of one Observe that returned observed
	// (the kind's own resources: a kind may read more for some of them).
	ObserveCalls(observed []wal.Resource) []OperationCalls
	// ResolveCalls are the calls Resolve makes for a (Resolver).
	ResolveCalls(a PlannedAction) []OperationCalls
	// ExecuteCalls are the calls Execute makes for call.
	ExecuteCalls(call Call) []OperationCalls
	// BudgetTime is the time the provider's client-side limiter and the
	// cloud's documented token buckets need for calls made in this order,
	// both buckets full at the start and every call taking no time.
	BudgetTime(calls []OperationCalls) (limiter, cloud time.Duration)
}

// OperationCalls is a number of calls of one API operation, which draws
// from Bucket.
type OperationCalls struct {
	Operation string
	Bucket    string
	Calls     int
}

// budget is a cycle's prediction in the making: the calls its apply makes,
// in the order it makes them.
type budget struct {
	calls []OperationCalls
	ok    bool // a Budgeter answered for every step
	timer Budgeter
}

// add appends the calls of one step; a step whose kind has no Budgeter
// makes the budget unknown.
func (b *budget) add(calls []OperationCalls, known bool) {
	if b == nil {
		return
	}
	if !known {
		b.ok = false
		return
	}
	b.calls = append(b.calls, calls...)
}

// budgeter returns the Budgeter of kind k, if its provider has one.
func (e *Engine) budgeter(ctx context.Context, k wal.ResourceKind) (Budgeter, bool) {
	kp, err := e.opts.Provider.Kind(ctx, k)
	if err != nil {
		return nil, false
	}
	b, ok := kp.(Budgeter)
	return b, ok
}

// predictObserve starts the cycle's budget with one Observe per kind, of
// the resources this cycle's observation returned.
func (c *cycle) predictObserve(ctx context.Context, perKind map[wal.ResourceKind][]wal.Resource) {
	c.budget = &budget{ok: true}
	for _, k := range c.e.kinds.Order() {
		b, ok := c.e.budgeter(ctx, k)
		if ok && c.budget.timer == nil {
			c.budget.timer = b
		}
		if ok {
			c.budget.add(b.ObserveCalls(perKind[k]), true)
		} else {
			c.budget.add(nil, false)
		}
	}
}

// predictResolve adds the calls that resolving the plan's creates makes.
func (c *cycle) predictResolve(ctx context.Context, plan *Plan) {
	for _, a := range plan.Actions {
		if a.Action != wal.ActionCreate {
			continue
		}
		if b, ok := c.e.budgeter(ctx, a.Kind); ok {
			c.budget.add(b.ResolveCalls(a), true)
		} else {
			c.budget.add(nil, false)
		}
	}
}

// predictExecute adds the calls of every batch execute will make, built
// exactly as execute builds them.
func (c *cycle) predictExecute(ctx context.Context) {
	ds := c.report.Decisions
	for i := 0; i < len(ds); {
		if !ds[i].Action.Actionable() {
			i++
			continue
		}
		j := batchEnd(ds, i)
		kp, call, err := c.buildCall(ctx, ds[i:j])
		b, ok := kp.(Budgeter)
		if err == nil && ok {
			c.budget.add(b.ExecuteCalls(call), true)
		} else {
			c.budget.add(nil, false)
		}
		i = j
	}
}

// apiBudget is the summary's budget: the prediction per operation, in
// the order of first use, and for an apply the calls tally counted (an
// operation the prediction missed is added after the predicted ones).
func (c *cycle) apiBudget() *wal.APIBudget {
	if c.budget == nil || !c.budget.ok {
		return nil
	}
	out := &wal.APIBudget{}
	index := map[string]int{}
	for _, oc := range c.budget.calls {
		i, seen := index[oc.Operation]
		if !seen {
			i = len(out.Calls)
			index[oc.Operation] = i
			out.Calls = append(out.Calls, wal.APICalls{Operation: oc.Operation, Bucket: oc.Bucket})
		}
		out.Calls[i].Planned += oc.Calls
	}
	if c.budget.timer != nil {
		limiter, cloud := c.budget.timer.BudgetTime(c.budget.calls)
		out.LimiterMS, out.CloudMS = limiter.Milliseconds(), cloud.Milliseconds()
	}
	if c.req.DryRun || c.tally == nil {
		return out
	}
	counted, waited := c.tally.Counts()
	out.Counted, out.WaitedMS = true, waited.Milliseconds()
	for _, oc := range counted {
		i, seen := index[oc.Operation]
		if !seen {
			i = len(out.Calls)
			index[oc.Operation] = i
			out.Calls = append(out.Calls, wal.APICalls{Operation: oc.Operation, Bucket: oc.Bucket})
		}
		out.Calls[i].Actual += oc.Calls
	}
	return out
}
