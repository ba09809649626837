package reconcile

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Recover resolves the decisions a previous leader left without an
// outcome. The cluster calls it on a new leader after Barrier(), before
// the first cycle (Run also does it first, for intents its own node left
// open). For each open decision, in decision-id order:
//
//   - no intent (decided, never started): record failed "Abandoned"; the
//     next cycle decides again from a fresh observation.
//   - Create: look for instances tagged ovi:decision=<id> (FindByDecision).
//     Found: record executed (Recovered) with their ids, launch nothing (a
//     partial launch's remainder is decided again by the next cycle). None
//     found: commit a new intent (next attempt) and send the same launch
//     with the same ClientToken, then record executed (Recovered).
//   - Delete: observe; if the resource is gone record executed (Recovered),
//     if it is now blessed record failed "Protected", else delete it again.
//   - Resize: observe; already at the size → executed; gone → failed
//     "NotFound"; blessed → failed "Protected"; else resize again.
//   - UpdateTags: apply again (idempotent).
//   - Start (kept from format 6): observe; running or pending → executed;
//     gone → failed "NotFound"; blessed meanwhile → failed "Protected";
//     else start again (StartInstances is idempotent).
//   - Modify, Attach, Detach: observe; the kind says whether it took effect
//     (Settled); else run again.
//
// Crash safety rests on two guards: the ovi:decision tag finds what an
// interrupted launch did even when the ClientToken has expired or EC2
// refuses it, and the ClientToken makes a repeated launch a no-op when the
// tag search missed instances EC2 had not yet made visible.
func (e *Engine) Recover(ctx context.Context) (Report, error) {
	if err := e.acquire(ctx); err != nil {
		return Report{}, err
	}
	defer e.release()
	return e.recoverOpen(ctx, nil)
}

// recovery is one Recover in progress.
type recovery struct {
	*cycle
	observed map[wal.ResourceKind]map[string]wal.Resource // lazily filled by lookup, per kind
	pending  []pendingRetry                               // decisions to run again, in batches (flush)
	queued   bool                                         // the decision being resolved was queued
}

// pendingRetry is a decision recovery runs again.
type pendingRetry struct {
	cycle   string // the decision's cycle id: its records carry it
	attempt int
	d       DecisionReport
}

// recoverOpen is Recover without taking the turn.
func (e *Engine) recoverOpen(ctx context.Context, progress func(wal.Record)) (Report, error) {
	intents, err := e.opts.State.OpenIntents(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reconcile: read open intents: %w", err)
	}
	if len(intents) == 0 {
		return Report{}, nil
	}
	e.ensureMemory()
	slices.SortFunc(intents, func(a, b Intent) int { return strings.Compare(a.Decided.DecisionID, b.Decided.DecisionID) })
	r := &recovery{cycle: &cycle{e: e, start: e.opts.Now(), progress: progress}}
	cfg, err := e.opts.State.Config(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reconcile: read the stored configuration: %w", err)
	}
	if cfg != nil {
		r.desired = *cfg
	}
	for _, in := range intents {
		if err := ctx.Err(); err != nil {
			return r.report, fmt.Errorf("reconcile: recovery stopped: %w", err)
		}
		if err := r.resolve(ctx, in); err != nil {
			return r.report, err
		}
	}
	if err := r.flush(ctx); err != nil {
		return r.report, err
	}
	r.report.Duration = e.opts.Now().Sub(r.start)
	return r.report, nil
}

// ensureMemory makes the memory's maps writable.
func (e *Engine) ensureMemory() {
	if e.memory.Unwanted == nil {
		e.memory.Unwanted = map[string]int{}
	}
	if e.memory.Launched == nil {
		e.memory.Launched = map[string]Launch{}
	}
	if e.memory.Failed == nil {
		e.memory.Failed = map[string]string{}
	}
}

// resolve settles one open decision. Its records carry the decision's
// original cycle id.
func (r *recovery) resolve(ctx context.Context, in Intent) error {
	dec := in.Decided
	if dec.Decided == nil {
		r.e.opts.Logger.Warn("reconcile: open decision without payload", "decision", dec.DecisionID)
		return nil
	}
	r.id = dec.CycleID
	d := &DecisionReport{DecisionID: dec.DecisionID, Action: plannedFrom(dec), Recorded: true, Recovered: true}
	r.metrics.noteKind(d.DecisionID, d.Action.Kind)
	attempt := 1
	if in.Executing != nil && in.Executing.Executing != nil {
		attempt = in.Executing.Executing.Attempt + 1
	}
	var err error
	switch {
	case in.Executing == nil:
		d.Status, d.Code = StatusFailed, CodeAbandoned
		d.Message = "Abandoned: decided but never started; the next cycle decides again"
		if d.Action.Action == wal.ActionAdopt {
			d.Message = "Abandoned: decided but never started; nothing was tagged (run ovi adopt again)"
		}
		err = r.proposeOutcome(ctx, r.failedRecord(d, true))
	case d.Action.Action == wal.ActionCreate:
		err = r.recoverCreate(ctx, d, attempt)
	case d.Action.Action == wal.ActionAdopt:
		err = r.recoverAdopt(ctx, d, attempt)
	case onResource(d.Action.Action):
		err = r.recoverOnResource(ctx, d, attempt)
	default:
		err = r.retry(ctx, d, attempt)
	}
	if r.queued {
		r.queued = false
		return err
	}
	r.report.Decisions = append(r.report.Decisions, *d)
	return err
}

// plannedFrom rebuilds the planned action of a decided record.
// A volume target is read typed (format 6) or from its text (older).
func plannedFrom(rec wal.Record) PlannedAction {
	p := rec.Decided
	a := PlannedAction{Action: p.Action, Drift: p.Drift, Kind: p.ResourceKind, Reason: p.Reason, Group: p.Group, ResourceID: rec.ResourceID,
		Count: p.Count, Size: p.SizeText(), ImageID: p.ImageID, SetTags: p.SetTags, RemoveTags: p.RemoveTags, Rule: p.Rule}
	if t, ok, _ := p.Target(); ok {
		a.Volume = &t
	}
	return a
}

// retry queues the decision to run again; flush runs the queue.
func (r *recovery) retry(_ context.Context, d *DecisionReport, attempt int) error {
	r.pending = append(r.pending, pendingRetry{cycle: r.id, attempt: attempt, d: *d})
	r.queued = true
	return nil
}

// flush runs the queued decisions again in batches, as a cycle does
// (deletes and identical tag updates up to MaxBatchIDs ids per call): N
// recovered deletions take ⌈N/1000⌉ calls, not N, and so do N identical
// tag updates, however their decision ids interleave with other changes.
// A batch holds decisions of one cycle and one attempt, so its records
// carry their cycle id.
func (r *recovery) flush(ctx context.Context) error {
	p := r.pending
	r.pending = nil
	slices.SortStableFunc(p, comparePending)
	for i := 0; i < len(p); {
		seg := i + 1
		for seg < len(p) && p[seg].cycle == p[i].cycle && p[seg].attempt == p[i].attempt {
			seg++
		}
		ds := make([]DecisionReport, seg-i)
		for k := range ds {
			ds[k] = p[i+k].d
		}
		r.id = p[i].cycle
		for b := 0; b < len(ds); {
			end := batchEnd(ds, b)
			err := r.runBatch(ctx, ds[b:end], p[i].attempt)
			r.report.Decisions = append(r.report.Decisions, ds[b:end]...)
			if err != nil {
				return err
			}
			b = end
		}
		i = seg
	}
	return nil
}

// comparePending orders retries so that each batch is one run: by cycle,
// attempt, plan rank, kind, action, then the change a batch shares (the
// tags set and removed), the decision-id order kept within.
func comparePending(a, b pendingRetry) int {
	if c := strings.Compare(a.cycle, b.cycle); c != 0 {
		return c
	}
	if a.attempt != b.attempt {
		return a.attempt - b.attempt
	}
	x, y := a.d.Action, b.d.Action
	if ra, rb := actionRank(x.Action), actionRank(y.Action); ra != rb {
		return ra - rb
	}
	if x.Kind != y.Kind {
		return int(x.Kind) - int(y.Kind)
	}
	if x.Action != y.Action {
		return int(x.Action) - int(y.Action)
	}
	return strings.Compare(tagChangeKey(x), tagChangeKey(y))
}

// tagChangeKey names the tag change of an action: equal keys are the
// changes batchEnd puts in one batch.
func tagChangeKey(a PlannedAction) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(a.SetTags)) {
		b.WriteString(strconv.Quote(k) + "=" + strconv.Quote(a.SetTags[k]) + ",")
	}
	b.WriteString("-")
	for _, k := range a.RemoveTags {
		b.WriteString(strconv.Quote(k) + ",")
	}
	return b.String()
}

// recoverCreate finds what an interrupted launch did. Nothing found: the
// same request is sent again with the same ClientToken, so EC2 returns the
// first call's instances if it did happen (the tag search can lag) and
// launches them otherwise. Some or all found: they are recorded and
// nothing is launched; a remainder (a partial launch) is left to the next
// cycle under a new decision, because the same token with another count is
// IdempotentParameterMismatch.
func (r *recovery) recoverCreate(ctx context.Context, d *DecisionReport, attempt int) error {
	found, err := r.findByDecision(ctx, d)
	if err != nil {
		r.unknown(d, fmt.Errorf("find instances of decision: %w", err))
		return nil
	}
	if live := liveIDs(found); len(live) > 0 {
		r.remember(d, live)
		d.Status, d.ResourceIDs = StatusExecuted, live
		d.Message = fmt.Sprintf("Recovered: %s already launched", instances(len(live)))
		if len(live) < d.Action.Count {
			d.Message = fmt.Sprintf("Recovered: %d of %s launched; the next cycle decides the rest",
				len(live), instances(d.Action.Count))
		}
		return r.proposeOutcome(ctx, r.executedRecord(d))
	}
	intent := r.executingRecord(d, attempt)
	intent.Executing.Description = fmt.Sprintf("Resuming launch of %s with the same client token (attempt %d, after failover)",
		instances(d.Action.Count), attempt)
	r.e.failpoint(FailpointBeforeIntent)
	if err := r.propose(ctx, intent); err != nil {
		return err
	}
	r.e.failpoint(FailpointAfterIntent)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reconcile: stopped before calling the provider: %w", err)
	}
	errs, created := r.call(ctx, []DecisionReport{*d})
	r.e.failpoint(FailpointAfterCall)
	rec, ok := r.outcome(d, errs[0], created)
	if !ok {
		return nil
	}
	if d.Status == StatusExecuted {
		d.Message = "Recovered: " + executedMessage(d.Action, len(created))
		rec = r.executedRecord(d)
	}
	if err := r.proposeOutcome(ctx, rec); err != nil {
		return err
	}
	r.e.failpoint(FailpointAfterOutcome)
	return nil
}

// remember adds launched ids to the memory until they are observed.
func (r *recovery) remember(d *DecisionReport, ids []string) {
	for _, id := range ids {
		r.e.memory.Launched[id] = Launch{Kind: d.Action.Kind, Group: d.Action.Group}
		r.e.launchedAt[id] = r.e.opts.Now()
	}
}

// recoverOnResource settles a Delete or Resize by looking at the resource.
func (r *recovery) recoverOnResource(ctx context.Context, d *DecisionReport, attempt int) error {
	res, exists, err := r.lookup(ctx, d.Action.Kind, d.Action.ResourceID)
	if err != nil {
		r.unknown(d, err)
		return nil
	}
	a := d.Action
	switch {
	case !exists && a.Action == wal.ActionDelete:
		d.Status, d.ResourceIDs, d.Message = StatusExecuted, []string{a.ResourceID}, "Recovered: already deleted"
		return r.proposeOutcome(ctx, r.executedRecord(d))
	case exists && a.Action == wal.ActionResize && sizeOf(&res) == a.Size:
		d.Status, d.ResourceIDs, d.Message = StatusExecuted, []string{a.ResourceID}, "Recovered: already resized to "+a.Size
		return r.proposeOutcome(ctx, r.executedRecord(d))
	case exists && r.settled(a, &res):
		d.Status, d.ResourceIDs, d.Message = StatusExecuted, []string{a.ResourceID}, "Recovered: already done ("+a.Action.String()+" "+a.Size+")"
		return r.proposeOutcome(ctx, r.executedRecord(d))
	case !exists:
		d.Status, d.Code, d.Message = StatusFailed, CodeNotFound, "Resource no longer exists"
		return r.proposeOutcome(ctx, r.failedRecord(d, false))
	case res.Blessed() && a.Action != wal.ActionModify && a.Action != wal.ActionAttach:
		d.Status, d.Code, d.Message = StatusFailed, CodeProtected, "Protected: tagged ovi:blessed"
		return r.proposeOutcome(ctx, r.failedRecord(d, false))
	}
	return r.retry(ctx, d, attempt)
}

// onResource reports the actions recovery settles by looking at their
// resource first.
func onResource(a wal.Action) bool {
	switch a {
	case wal.ActionDelete, wal.ActionResize, wal.ActionModify, wal.ActionAttach, wal.ActionDetach, wal.ActionStart:
		return true
	}
	return false
}

// settler is implemented by a Kind with in-place actions of its own: it
// tells whether an interrupted one already took effect on the resource.
type settler interface {
	Settled(a PlannedAction, r *wal.Resource) bool
}

// settled asks the resource's kind whether a took effect on res.
func (r *recovery) settled(a PlannedAction, res *wal.Resource) bool {
	k, ok := r.e.kinds.Get(a.Kind)
	if !ok {
		return false
	}
	s, ok := k.(settler)
	return ok && s.Settled(a, res)
}

// lookup observes a kind once per recovery and returns one live resource.
func (r *recovery) lookup(ctx context.Context, k wal.ResourceKind, id string) (wal.Resource, bool, error) {
	if r.observed == nil {
		r.observed = map[wal.ResourceKind]map[string]wal.Resource{}
	}
	byID, ok := r.observed[k]
	if !ok {
		all, err := r.e.observeKind(ctx, k)
		if err != nil {
			return wal.Resource{}, false, err
		}
		byID = make(map[string]wal.Resource, len(all))
		for _, res := range all {
			if !terminating(&res) {
				byID[res.ID] = res
			}
		}
		r.observed[k] = byID
	}
	res, ok := byID[id]
	return res, ok, nil
}

// findByDecision asks the observer of the decision's kind for what an
// interrupted create made.
func (r *recovery) findByDecision(ctx context.Context, d *DecisionReport) ([]wal.Resource, error) {
	kp, err := r.e.opts.Provider.Kind(ctx, d.Action.Kind)
	if err != nil {
		return nil, err
	}
	return kp.FindByDecision(ctx, d.DecisionID)
}

// unknown marks a decision whose state could not be established; its
// intent stays open for the next attempt.
func (r *recovery) unknown(d *DecisionReport, err error) {
	d.Status, d.Message = StatusUnknown, err.Error()
	r.report.Failures++
	r.e.opts.Logger.Warn("reconcile: recovery could not settle a decision", "decision", d.DecisionID, "error", err)
}

// liveIDs are the sorted ids of resources that are not terminating.
func liveIDs(rs []wal.Resource) []string {
	var ids []string
	for i := range rs {
		if !terminating(&rs[i]) {
			ids = append(ids, rs[i].ID)
		}
	}
	slices.Sort(ids)
	return ids
}
