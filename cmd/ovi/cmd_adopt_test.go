package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// adoptWorld is the configuration in force and the cloud of the adopt
// tests: a web group of 3 (one member live), a security group web, a
// volume scratch; unmanaged: a matching instance, a t3.small, a
// hand-made group and two volumes.
func adoptWorld() (wal.Config, []wal.Resource) {
	https := wal.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "0.0.0.0/0"}
	allOut := wal.Rule{Protocol: wal.ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}
	cfg := wal.Config{Version: "v1", Provider: "aws", Region: "us-east-1",
		Groups: []wal.Group{{Name: "web", Type: "ec2", Count: 3, Size: "t3.micro", Image: "ami-1", Tags: map[string]string{"team": "platform"}}},
		Resources: []wal.Spec{
			{Kind: wal.ResourceSecurityGroup, Name: "web", SecurityGroup: &wal.SecurityGroup{Name: "web", Description: "HTTPS in",
				Ingress: []wal.Rule{https}, Egress: []wal.Rule{allOut}}},
			{Kind: wal.ResourceVolume, Name: "scratch", Volume: &wal.VolumeSpec{AvailabilityZone: "us-east-1a", SizeGiB: 50, VolumeType: "gp3"}},
		}}
	instance := func(id, size string, tags map[string]string) wal.Resource {
		return wal.Resource{ID: id, Kind: wal.ResourceInstance, State: "running", Tags: tags,
			Instance: &wal.Instance{Size: size, ImageID: "ami-1"}}
	}
	member := instance("i-0aaa000000000001", "t3.micro", map[string]string{wal.TagManaged: "true", wal.TagGroup: "web", "team": "platform"})
	member.Managed, member.Group = true, "web"
	observed := []wal.Resource{member,
		instance("i-0bbb000000000002", "t3.micro", map[string]string{"team": "payments", wal.TagBlessed: "true"}),
		instance("i-0ccc000000000003", "t3.small", map[string]string{"team": "payments"}),
		{ID: "sg-0legacy000000001", Kind: wal.ResourceSecurityGroup, State: "available", Tags: map[string]string{"team": "data"},
			SecurityGroup: &wal.SecurityGroup{Name: "legacy-admin", VpcID: "vpc-1", Description: "by hand",
				Ingress: []wal.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "203.0.113.0/24"}}, Egress: []wal.Rule{allOut}}},
		{ID: "vol-0aaa00000000001", Kind: wal.ResourceVolume, State: "available", Tags: map[string]string{"team": "data"},
			Volume: &wal.Volume{AvailabilityZone: "us-east-1a", SizeGiB: 50, VolumeType: "gp3"}},
		{ID: "vol-0bbb00000000002", Kind: wal.ResourceVolume, State: "available",
			Volume: &wal.Volume{AvailabilityZone: "us-east-1b", SizeGiB: 50, VolumeType: "gp3", Encrypted: true}},
	}
	return cfg, observed
}

// adoptAgent answers adoptions as the leader's engine does, from the real
// planner over adoptWorld: decided records (flagged dry_run on a dry run),
// then executing and executed per adoption. It keeps the requests.
type adoptAgent struct {
	mu   sync.Mutex
	reqs []transport.AdoptRequest
	dry  []bool
}

func (a *adoptAgent) reconcile(_ context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
	if req.Adopt == nil {
		return errors.New("not an adoption")
	}
	a.mu.Lock()
	a.reqs, a.dry = append(a.reqs, *req.Adopt), append(a.dry, req.DryRun)
	a.mu.Unlock()
	sel, err := engine.AdoptSelection(req.Adopt)
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), "adopt: "))
	}
	cfg, observed := adoptWorld()
	plan, err := reconcile.PlanAdoption(reconcile.DefaultKinds(), cfg, observed, sel)
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), "adopt: "))
	}
	var outcomes []wal.Record
	for i, a := range plan.Actions {
		id := "ovi-1-20261125T103000Z-0a0b0c0d-" + string(rune('1'+i))
		if a.Action == wal.ActionAdopt {
			a.SetTags[wal.TagDecision] = id
		}
		emit(decision(id, a.ResourceID, at(0), *a.Decided(req.DryRun)))
		if a.Action == wal.ActionAdopt && !req.DryRun {
			outcomes = append(outcomes,
				wal.Record{Kind: wal.KindExecuting, ResourceID: a.ResourceID, DecisionID: id, Time: at(1),
					Executing: &wal.Executing{Action: wal.ActionAdopt, Description: "Starting adoption into " + a.Group, Attempt: 1}},
				wal.Record{Kind: wal.KindExecuted, ResourceID: a.ResourceID, DecisionID: id, Time: at(2),
					Executed: &wal.Executed{Action: wal.ActionAdopt, Message: "Adopted into " + a.Group}})
		}
	}
	for _, rec := range outcomes {
		emit(rec)
	}
	return nil
}

func (a *adoptAgent) requests() ([]transport.AdoptRequest, []bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs, a.dry
}

// TestAdoptDryRunGolden: the plan of every kind, with the tags Ovi writes
// and, per refused resource, each attribute that keeps it out; the JSON
// form carries the same decisions.
func TestAdoptDryRunGolden(t *testing.T) {
	a := &adoptAgent{}
	ta := startTestAgent(t, a.reconcile)
	var out strings.Builder
	for _, args := range [][]string{
		{"adopt", "--matching", "web", "--kind", "ec2", "--dry-run"},
		{"adopt", "--matching", "web", "--kind", "security_group", "--dry-run"},
		{"adopt", "--matching", "scratch", "--dry-run"},
		{"adopt", "--filter", "tag:team=nobody", "--into", "scratch", "--dry-run"},
	} {
		code, stdout, stderr := ta.run(args...)
		if code != exitOK || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		out.WriteString("$ ovi " + strings.Join(args, " ") + "\n" + stdout + "\n")
	}
	assertGolden(t, "adopt_plan_table", []byte(out.String()))
	code, stdout, _ := ta.run("-o", "json", "adopt", "--matching", "web", "--kind", "ec2", "--dry-run")
	var doc adoptPlanDocument
	if err := json.Unmarshal([]byte(stdout), &doc); code != exitOK || err != nil {
		t.Fatalf("json plan: %d %v\n%s", code, err, stdout)
	}
	if !doc.DryRun || doc.Adopt != 1 || doc.Refused != 1 || doc.Decisions[0].Decided.SetTags[wal.TagGroup] != "web" {
		t.Errorf("json plan %+v", doc)
	}
	if reqs, _ := a.requests(); !reqs[0].Matching || reqs[0].Into != "web" || reqs[0].Kind != "ec2" || reqs[0].Approved != nil {
		t.Errorf("request %+v", reqs[0])
	}
}

// TestAdoptAppliesWhatThePlanShowed: without --dry-run (not a terminal: no
// question), the plan is shown, then the apply is bounded to the plan's
// adoptions and each is shown as it happens.
func TestAdoptAppliesWhatThePlanShowed(t *testing.T) {
	a := &adoptAgent{}
	ta := startTestAgent(t, a.reconcile)
	code, stdout, stderr := ta.run("adopt", "--filter", "tag:team=payments", "--into", "web", "--kind", "ec2")
	if code != exitOK || stderr != "" {
		t.Fatalf("adopt: exit %d\n%s\nstderr %q", code, stdout, stderr)
	}
	assertGolden(t, "adopt_apply_table", []byte(stdout))
	reqs, dry := a.requests()
	if len(reqs) != 2 || !dry[0] || dry[1] || strings.Join(reqs[1].Approved, ",") != "i-0bbb000000000002" {
		t.Fatalf("requests %+v (dry %v): want a plan, then an apply bounded to i-0bbb000000000002", reqs, dry)
	}
	code, stdout, _ = ta.run("-o", "json", "adopt", "--filter", "tag:team=payments", "--into", "web", "--kind", "ec2")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitOK || lines[len(lines)-1] != `{"adopt_complete":{"adopted":1,"failed":0}}` {
		t.Fatalf("json apply: %d\n%s", code, stdout)
	}
}

// TestAdoptNamedIDThatCannotBeAdoptedFails: a resource named by id that
// the plan refuses fails the command before anything is applied.
func TestAdoptNamedIDThatCannotBeAdoptedFails(t *testing.T) {
	a := &adoptAgent{}
	ta := startTestAgent(t, a.reconcile)
	code, stdout, stderr := ta.run("adopt", "--into", "web", "i-0bbb000000000002", "i-0ccc000000000003")
	want := "ovi: adopt i-0ccc000000000003: cannot be adopted; nothing was adopted\nhint: the plan above says why; adopt the others by naming only them\n"
	if code != exitFailure || stderr != want || !strings.Contains(stdout, "size differs (t3.small → t3.micro)") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr %q, want %q", code, stdout, stderr, want)
	}
	if reqs, _ := a.requests(); len(reqs) != 1 {
		t.Fatalf("%d requests, want only the plan", len(reqs))
	}
}

// TestAdoptBadInputIsOneLine: unknown ids and units (answered by the
// leader) and bad flags (caught before any request) are one line each.
func TestAdoptBadInputIsOneLine(t *testing.T) {
	a := &adoptAgent{}
	ta := startTestAgent(t, a.reconcile)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"adopt", "--into", "web", "i-0fff000000000009"}, "ovi: adopt: bad_request: unknown resource i-0fff000000000009: the cloud has no such resource (observed just now)"},
		{[]string{"adopt", "--matching", "nope"}, `no group or named resource "nope" in the configuration in force`},
		{[]string{"adopt", "--matching", "web"}, `"web" names a unit of several kinds (ec2, security_group): say which with --kind`},
		{[]string{"adopt", "--into", "web", "--filter", "team=payments"}, `ovi: --filter "team=payments": want tag:KEY=VALUE or tag:KEY`},
		{[]string{"adopt", "--into", "web"}, "ovi: adopt: nothing selected: name resource ids or --filter tag:KEY=VALUE"},
		{[]string{"adopt", "i-0bbb000000000002"}, "ovi: adopt: no unit: say --into NAME (with ids or --filter) or --matching NAME"},
		{[]string{"adopt", "--matching", "web", "--kind", "vm"}, `ovi: --kind: "vm": want ec2, security_group or ebs_volume`},
	} {
		code, _, stderr := ta.run(c.args...)
		first, _, _ := strings.Cut(stderr, "\n")
		if code != exitFailure || !strings.Contains(first, c.want) || strings.Count(stderr, "\n") > 2 {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// TestReconcilePlanShowsAdoptable: the plan lists, after its sections, one
// line per unmanaged resource that matches a desired unit with the command
// that adopts it; the JSON plan lists the same.
func TestReconcilePlanShowsAdoptable(t *testing.T) {
	cfg, observed := adoptWorld()
	plan := reconcile.Decide(cfg, observed, reconcile.Memory{})
	var recs []wal.Record
	for i, a := range plan.Actions {
		recs = append(recs, decision("d-"+string(rune('a'+i)), a.ResourceID, at(0), *a.Decided(true)))
	}
	var out strings.Builder
	if _, err := renderPlan(&out, tableOptions(), recs, &wal.CycleSummary{DryRun: true, Observed: 6, Unmanaged: 5}); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "plan_adoptable_table", []byte(out.String()))
	var doc strings.Builder
	if _, err := renderPlan(&doc, jsonOptions(), recs, nil); err != nil {
		t.Fatal(err)
	}
	var got planDocument
	if err := json.Unmarshal([]byte(doc.String()), &got); err != nil {
		t.Fatal(err)
	}
	want := []adoptHint{{ResourceID: "i-0bbb000000000002", Kind: wal.ResourceInstance, Into: "web", Command: "ovi adopt i-0bbb000000000002 --into web"},
		{ResourceID: "vol-0aaa00000000001", Kind: wal.ResourceVolume, Into: "scratch", Command: "ovi adopt vol-0aaa00000000001 --into scratch"}}
	if len(got.Adoptable) != 2 || got.Adoptable[0] != want[0] || got.Adoptable[1] != want[1] {
		t.Errorf("json adoptable %+v, want %+v", got.Adoptable, want)
	}
}
