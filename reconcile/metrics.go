package reconcile

import (
	"errors"
	"regexp"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Metrics receives what the engine does, for monitoring and logs: the
// agent turns it into Prometheus metrics and one log line per cycle and
// per action outcome (Options.Metrics; nil reports nothing). Calls come
// from the goroutine running the cycle, and cycles never overlap. Every
// string meant as a label is from a bounded set (kinds, actions, drift
// types, results, reason classes); resource and decision ids are there
// for logs only.
type Metrics interface {
	// CycleDone is called once per Run, dry runs included.
	CycleDone(CycleOutcome)
	// ActionDone is called once per committed outcome (executed or
	// failed, also by recovery) and once per action whose outcome is
	// unknown (intent left open).
	ActionDone(ActionOutcome)
}

// Results of a cycle (CycleOutcome.Result).
const (
	ResultSuccess  = "success"   // completed; every action executed
	ResultPartial  = "partial"   // completed; some actions failed or have an unknown outcome
	ResultError    = "error"     // stopped early: observe, a read or a proposal failed, or ctx ended
	ResultNoConfig = "no_config" // no configuration in force
)

// Outcomes of an action (ActionOutcome.Outcome).
const (
	OutcomeExecuted = "executed"
	OutcomeFailed   = "failed"
	OutcomeUnknown  = "unknown"
)

// CycleOutcome is one finished Run.
type CycleOutcome struct {
	Report   Report
	Err      error
	Result   string       // ResultSuccess … ResultNoConfig
	Kinds    []KindCounts // the plan's counts per resource kind
	Withheld []Withheld   // one per refusal or hold of the plan
}

// Withheld is one refusal or hold, by reason class.
type Withheld struct {
	Kind   string
	Action string // "refuse" or "hold"
	Reason string // ReasonClass
}

// ActionOutcome is what became of one action.
type ActionOutcome struct {
	Kind, Action, Outcome string
	CycleID, DecisionID   string
	ResourceID            string   // the resource acted on (empty for a create)
	ResourceIDs           []string // launched or affected
	Code, Message         string   // Code: the provider's error code when failed
	Recovered             bool
}

// MetricKinds lists the resource kinds the engine reports, and
// MetricActions the actions that change the cloud: for metrics that start
// every series at zero.
func MetricKinds() []string {
	out := make([]string, 0, len(wal.ResourceKinds()))
	for _, k := range wal.ResourceKinds() {
		out = append(out, k.String())
	}
	return out
}

// MetricActions: see MetricKinds.
func MetricActions() []string {
	return []string{wal.ActionCreate.String(), wal.ActionDelete.String(), wal.ActionUpdateTags.String(), wal.ActionResize.String()}
}

// cycleMetrics is what a cycle keeps for Options.Metrics beyond its report.
type cycleMetrics struct {
	kinds map[string]wal.ResourceKind // decision id → kind, for outcome records
}

// noteKind remembers the kind of a decision.
func (m *cycleMetrics) noteKind(decisionID string, k wal.ResourceKind) {
	if m.kinds == nil {
		m.kinds = map[string]wal.ResourceKind{}
	}
	m.kinds[decisionID] = kindOf(k)
}

// kindOf is k, or instances for records written before kinds existed.
func kindOf(k wal.ResourceKind) wal.ResourceKind {
	if k == 0 {
		return wal.ResourceInstance
	}
	return k
}

// resultOf classifies a finished cycle.
func resultOf(rep Report, err error) string {
	switch {
	case errors.Is(err, ErrNoConfig):
		return ResultNoConfig
	case err != nil:
		return ResultError
	}
	for _, d := range rep.Decisions {
		if d.Status == StatusFailed || d.Status == StatusUnknown {
			return ResultPartial
		}
	}
	return ResultSuccess
}

// reportCycle hands a finished Run to Options.Metrics.
func (e *Engine) reportCycle(rep Report, err error) {
	m := e.opts.Metrics
	if m == nil {
		return
	}
	out := CycleOutcome{Report: rep, Err: err, Result: resultOf(rep, err), Kinds: rep.Kinds}
	for _, d := range rep.Decisions {
		kind := kindOf(d.Action.Kind).String()
		switch {
		case d.Action.Action == wal.ActionRefuse || d.Action.Action == wal.ActionHold:
			out.Withheld = append(out.Withheld, Withheld{Kind: kind, Action: d.Action.Action.String(), Reason: ReasonClass(d.Action)})
		case d.Status == StatusUnknown:
			m.ActionDone(ActionOutcome{Kind: kind, Action: d.Action.Action.String(), Outcome: OutcomeUnknown,
				CycleID: rep.CycleID, DecisionID: d.DecisionID, ResourceID: d.Action.ResourceID, Message: d.Message})
		}
	}
	m.CycleDone(out)
}

// reportOutcomes hands committed executed/failed records to
// Options.Metrics.
func (c *cycle) reportOutcomes(recs []wal.Record) {
	m := c.e.opts.Metrics
	if m == nil {
		return
	}
	for _, r := range recs {
		o := ActionOutcome{Kind: kindOf(c.metrics.kinds[r.DecisionID]).String(), CycleID: r.CycleID,
			DecisionID: r.DecisionID, ResourceID: r.ResourceID}
		switch {
		case r.Executed != nil:
			o.Action, o.Outcome, o.Message = r.Executed.Action.String(), OutcomeExecuted, r.Executed.Message
			o.ResourceIDs, o.Recovered = r.Executed.ResourceIDs, r.Executed.Recovered
		case r.Failed != nil:
			o.Action, o.Outcome, o.Code, o.Message = r.Failed.Action.String(), OutcomeFailed, r.Failed.Code, r.Failed.Message
		default:
			continue
		}
		m.ActionDone(o)
	}
}

// Reason classes of refusals and holds (ReasonClass).
const (
	ReasonProtected       = "protected"        // tagged ovi:blessed
	ReasonLaunchPending   = "launch_pending"   // launched instances not visible yet
	ReasonDeletionCap     = "deletion_cap"     // policy max_deletions reached
	ReasonTerminalFailure = "terminal_failure" // the last attempt failed permanently
	ReasonImageUnresolved = "image_unresolved" // the default image could not be resolved
	ReasonOther           = "other"
)

// WithheldReasons lists the reason classes of refusals (action "refuse")
// and holds ("hold") that the engine writes, for metrics that start every
// series at zero.
func WithheldReasons() map[string][]string {
	return map[string][]string{
		wal.ActionRefuse.String(): {ReasonProtected, "policy_delete_unwanted", "policy_allow_disruptive", ReasonOther},
		wal.ActionHold.String():   {ReasonLaunchPending, ReasonDeletionCap, ReasonTerminalFailure, ReasonImageUnresolved, ReasonOther},
	}
}

// policyReason finds the policy key a refusal names.
var policyReason = regexp.MustCompile(`policy ([a-z_]+) is false`)

// ReasonClass is the bounded class of a refusal's or hold's reason:
// "policy_<key>" for a policy refusal (policy_delete_unwanted,
// policy_allow_disruptive), else one of the Reason… constants.
func ReasonClass(a PlannedAction) string {
	r := a.Reason
	if m := policyReason.FindStringSubmatch(r); m != nil && a.Action == wal.ActionRefuse {
		return "policy_" + m[1]
	}
	switch {
	case strings.HasPrefix(r, "Protected:"):
		return ReasonProtected
	case strings.Contains(r, "default image could not be resolved"):
		return ReasonImageUnresolved
	case strings.Contains(r, "not visible yet"):
		return ReasonLaunchPending
	case strings.Contains(r, "deletion cap"):
		return ReasonDeletionCap
	case strings.Contains(r, "failed permanently"):
		return ReasonTerminalFailure
	}
	return ReasonOther
}
