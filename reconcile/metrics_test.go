package reconcile

import (
	"context"
	"errors"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// recordedMetrics keeps every report of the engine.
type recordedMetrics struct {
	cycles  []CycleOutcome
	actions []ActionOutcome
}

func (m *recordedMetrics) CycleDone(c CycleOutcome)   { m.cycles = append(m.cycles, c) }
func (m *recordedMetrics) ActionDone(a ActionOutcome) { m.actions = append(m.actions, a) }

func TestMetricsSeeEveryCycleAndOutcome(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(unmanaged("i-legacy"))
	m := &recordedMetrics{}
	e := r.engine(func(o *Options) { o.Metrics = m })
	r.run(e, Request{})
	if len(m.cycles) != 1 || m.cycles[0].Result != ResultSuccess {
		t.Fatalf("cycles %+v", m.cycles)
	}
	k := m.cycles[0].Kinds
	if len(k) != 1 || k[0].Kind != "ec2" || k[0].Counts.Missing != 2 || k[0].Counts.Unmanaged != 1 {
		t.Fatalf("kinds %+v", k)
	}
	if len(m.actions) != 1 || m.actions[0].Action != "create" || m.actions[0].Outcome != OutcomeExecuted ||
		len(m.actions[0].ResourceIDs) != 2 || m.actions[0].DecisionID == "" {
		t.Fatalf("actions %+v", m.actions)
	}

	r.cloud.failures["tags:"+m.actions[0].ResourceIDs[0]] = &ProviderError{Code: "UnauthorizedOperation", Message: "no"}
	r.cloud.mu.Lock()
	in := r.cloud.instances[m.actions[0].ResourceIDs[0]]
	in.Tags["team"] = "b"
	r.cloud.mu.Unlock()
	r.run(e, Request{})
	last := m.actions[len(m.actions)-1]
	if m.cycles[1].Result != ResultPartial || last.Outcome != OutcomeFailed || last.Code != "UnauthorizedOperation" ||
		last.Action != "update-tags" || last.ResourceID != m.actions[0].ResourceIDs[0] {
		t.Fatalf("failed tag update: cycle %s, action %+v", m.cycles[1].Result, last)
	}
	r.run(e, Request{DryRun: true})
	if len(m.cycles) != 3 || !m.cycles[2].Report.DryRun {
		t.Fatalf("dry run not reported: %+v", m.cycles)
	}
	for _, c := range m.cycles {
		checkKindsSumToCounts(t, c)
	}
}

// checkKindsSumToCounts: the per-kind counts add up to the plan's.
func checkKindsSumToCounts(t *testing.T, c CycleOutcome) {
	t.Helper()
	var sum Counts
	for _, k := range c.Kinds {
		sum.Observed += k.Counts.Observed
		sum.InSync += k.Counts.InSync
		sum.Missing += k.Counts.Missing
		sum.Unwanted += k.Counts.Unwanted
		sum.Drifted += k.Counts.Drifted
		sum.Unmanaged += k.Counts.Unmanaged
		sum.Pending += k.Counts.Pending
	}
	want := c.Report.Counts
	want.Protected = 0
	if sum != want {
		t.Fatalf("per-kind counts %+v add up to %+v, the plan says %+v", c.Kinds, sum, want)
	}
}

func TestMetricsCountsByKindMatchThePlan(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(unmanaged("i-legacy"), inst("i-w1", "web", "t3.micro", 1, "team", "b"),
		inst("i-old", "old", "t3.micro", 2), inst("i-bless", "old", "t3.micro", 3, wal.TagBlessed, "true"))
	m := &recordedMetrics{}
	e := r.engine(func(o *Options) { o.Metrics = m })
	r.run(e, Request{DryRun: true, Config: &r.cfg})
	r.run(e, Request{})
	r.run(e, Request{})
	for _, c := range m.cycles {
		checkKindsSumToCounts(t, c)
	}
	first := m.cycles[0].Kinds[0].Counts
	if first.Observed != 4 || first.Drifted != 1 || first.Unwanted != 2 || first.Missing != 1 || first.Unmanaged != 1 {
		t.Fatalf("first plan by kind %+v", first)
	}
	var protected int
	for _, w := range m.cycles[0].Withheld {
		if w.Reason == ReasonProtected && w.Kind == "ec2" && w.Action == "refuse" {
			protected++
		}
	}
	if protected != 1 {
		t.Fatalf("withheld %+v", m.cycles[0].Withheld)
	}
}

func TestMetricsResultOfFailedAndUnconfiguredCycles(t *testing.T) {
	r := newRig(t, webYAML)
	m := &recordedMetrics{}
	e := r.engine(func(o *Options) { o.Metrics = m })
	if _, err := e.Run(context.Background(), Request{}); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("run without config: %v", err)
	}
	r.cloud.failures["observe"] = &ProviderError{Code: "RequestLimitExceeded"}
	if _, err := e.Run(context.Background(), Request{Config: &r.cfg}); err == nil {
		t.Fatal("observe failure: no error")
	}
	if len(m.cycles) != 2 || m.cycles[0].Result != ResultNoConfig || m.cycles[1].Result != ResultError || m.cycles[0].Kinds != nil {
		t.Fatalf("cycles %+v", m.cycles)
	}
}

// The classes come from the reasons Decide really writes.
func TestReasonClassesOfDecidedRefusalsAndHolds(t *testing.T) {
	cfg := testConfig(wal.Policy{DeleteUnwanted: false}, webGroup(1))
	observed := []wal.Resource{
		inst("i-1", "web", "t3.micro", 1),
		inst("i-old", "old", "t3.micro", 2),
		inst("i-bless", "old", "t3.micro", 3, wal.TagBlessed, "true"),
	}
	plan := Decider{}.Decide(cfg, observed, confirmed("i-old", "i-bless"))
	got := map[string]string{}
	for _, a := range plan.Actions {
		if a.Action == wal.ActionRefuse || a.Action == wal.ActionHold {
			got[a.ResourceID] = ReasonClass(a)
		}
	}
	want := map[string]string{"i-old": "policy_delete_unwanted", "i-bless": ReasonProtected}
	for id, class := range want {
		if got[id] != class {
			t.Errorf("%s: class %q, want %q (plan %v)", id, got[id], class, brief(plan))
		}
	}
	cfg.Policy = wal.Policy{DeleteUnwanted: true, MaxDeletions: 1}
	observed = append(observed, inst("i-old2", "old", "t3.micro", 4))
	plan = Decider{}.Decide(cfg, observed, confirmed("i-old", "i-old2", "i-bless"))
	held := 0
	for _, a := range plan.Actions {
		if a.Action == wal.ActionHold {
			held++
			if c := ReasonClass(a); c != ReasonDeletionCap {
				t.Errorf("hold %q: class %q, want %q", a.Reason, c, ReasonDeletionCap)
			}
		}
	}
	if held != 1 {
		t.Fatalf("holds %d in %v", held, brief(plan))
	}
	for reason, class := range map[string]string{
		"Held: 2 instances launched for group web not visible yet":                               ReasonLaunchPending,
		"Held: last attempt failed permanently (X); not retried until the configuration changes": ReasonTerminalFailure,
		"Held: Create: 1 instance missing, but the default image could not be resolved (Y)":      ReasonImageUnresolved,
		"Refused: size differs (a → b), but policy allow_disruptive is false":                    "policy_allow_disruptive",
		"something new": ReasonOther,
	} {
		if c := ReasonClass(PlannedAction{Action: wal.ActionRefuse, Reason: reason}); c != class {
			t.Errorf("%q: class %q, want %q", reason, c, class)
		}
	}
}
