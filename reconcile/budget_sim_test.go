package reconcile_test

import (
	"context"
	"maps"
	"testing"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// budgetBefore is the fleet the budget test starts from: three groups of
// instances (one blessed: its termination protection is read every cycle), a security group with two rules, two volumes.
const budgetBefore = `version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 10}
resources:
  - {name: web, type: ec2, count: 2, size: t3.micro, tags: {team: a, tier: x}}
  - {name: old, type: ec2, count: 3, size: t3.micro, image: ami-0a1b2c3d4e5f60002}
  - {name: db, type: ec2, count: 2, size: t3.micro, image: ami-0a1b2c3d4e5f60002, tags: {ovi:blessed: true}}
  - type: security_group
    name: edge
    description: edge tier
    ingress:
      - {protocol: tcp, ports: 443, cidrs: [0.0.0.0/0]}
      - {protocol: tcp, ports: 22, cidrs: [10.0.0.0/8]}
  - {type: ebs_volume, name: data, availability_zone: us-east-1a, size_gib: 10, volume_type: gp3}
  - {type: ebs_volume, name: scratch, availability_zone: us-east-1a, size_gib: 5, volume_type: gp3}
`

// budgetAfter changes every kind: web grows by 3 (a launch, its default
// image resolved) and changes its tags (one CreateTags and one DeleteTags
// for both members), old leaves the file (one batch of 3 terminations),
// edge swaps its SSH rule (an authorize and a revoke), data grows
// (ModifyVolume), scratch leaves the file (DeleteVolume), logs is new
// (CreateVolume) and a new group api names edge (a lookup, then a launch).
const budgetAfter = `version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 10}
resources:
  - {name: web, type: ec2, count: 5, size: t3.micro, tags: {team: b}}
  - {name: api, type: ec2, count: 1, size: t3.small, image: ami-0a1b2c3d4e5f60002, security_groups: [edge]}
  - {name: db, type: ec2, count: 2, size: t3.micro, image: ami-0a1b2c3d4e5f60002, tags: {ovi:blessed: true}}
  - type: security_group
    name: edge
    description: edge tier
    ingress:
      - {protocol: tcp, ports: 443, cidrs: [0.0.0.0/0]}
      - {protocol: tcp, ports: 2222, cidrs: [10.0.0.0/8]}
  - {type: ebs_volume, name: data, availability_zone: us-east-1a, size_gib: 20, volume_type: gp3}
  - {type: ebs_volume, name: logs, availability_zone: us-east-1a, size_gib: 8, volume_type: gp3}
`

// TestBudgetPredictsTheCalls: for a mixed plan (instances launched,
// retagged and terminated, security group rules authorized and revoked,
// volumes created, modified and deleted), the API budget a dry run
// predicts equals the calls the apply then makes, as the simulator counts
// them, through the real aws-sdk-go-v2 client; and the apply's own
// budget counted the same calls with its middleware.
func TestBudgetPredictsTheCalls(t *testing.T) {
	isolateAWS(t)
	sim, url := startSim(t)
	eng, _ := simEngine(t, url)
	run(t, eng, budgetBefore, false)
	plan := run(t, eng, budgetAfter, true)
	sim.ResetCounts()
	applied := run(t, eng, budgetAfter, false)
	counted := sim.Counts()

	predicted := plannedCalls(plan.Budget)
	t.Logf("predicted %v, limiter %d ms", predicted, plan.Budget.LimiterMS)
	if !maps.Equal(predicted, counted) {
		t.Errorf("the dry run predicted\n%v\nthe simulator counted\n%v", predicted, counted)
	}
	if got := plannedCalls(applied.Budget); !maps.Equal(got, predicted) {
		t.Errorf("the apply planned\n%v\nthe dry run\n%v", got, predicted)
	}
	if got := actualCalls(applied.Budget); !maps.Equal(got, counted) {
		t.Errorf("the apply's middleware counted\n%v\nthe simulator\n%v", got, counted)
	}
	for op, want := range map[string]int{"RunInstances": 2, "TerminateInstances": 1, "CreateTags": 1, "DeleteTags": 1,
		"AuthorizeSecurityGroupIngress": 1, "RevokeSecurityGroupIngress": 1, "CreateVolume": 1, "ModifyVolume": 1,
		"DeleteVolume": 1, "DescribeImages": 1, "DescribeInstanceAttribute": 2} {
		if predicted[op] != want {
			t.Errorf("%s: predicted %d calls, want %d", op, predicted[op], want)
		}
	}
	if plan.Budget.Counted || !applied.Budget.Counted {
		t.Errorf("counted: dry run %v, apply %v", plan.Budget.Counted, applied.Budget.Counted)
	}
}

// run reconciles against yaml and returns the cycle's summary.
func run(t *testing.T, eng *reconcile.Engine, yaml string, dryRun bool) *wal.CycleSummary {
	t.Helper()
	cfg, err := reconcile.ParseConfig("infrastructure.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var summary *wal.CycleSummary
	rep, err := eng.Run(context.Background(), reconcile.Request{Config: &cfg, DryRun: dryRun, Progress: func(r wal.Record) {
		if r.Summary != nil {
			summary = r.Summary
		}
	}})
	if err != nil || rep.Failures != 0 {
		t.Fatalf("reconcile (dry run %v): %v, %d failures: %+v", dryRun, err, rep.Failures, rep.Decisions)
	}
	if summary == nil || summary.Budget == nil {
		t.Fatalf("summary %+v has no budget", summary)
	}
	return summary
}

func plannedCalls(b *wal.APIBudget) map[string]int {
	out := map[string]int{}
	for _, c := range b.Calls {
		if c.Planned > 0 {
			out[c.Operation] = c.Planned
		}
	}
	return out
}

func actualCalls(b *wal.APIBudget) map[string]int {
	out := map[string]int{}
	for _, c := range b.Calls {
		if c.Actual > 0 {
			out[c.Operation] = c.Actual
		}
	}
	return out
}
