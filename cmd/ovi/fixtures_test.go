package main

import (
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Fixed WAL fixtures shared by the golden tests. Every time is UTC.

// fixtureStart is the first record's time: 2026-11-25 10:30:00 UTC.
var fixtureStart = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

// at is fixtureStart plus d.
func at(d time.Duration) time.Time { return fixtureStart.Add(d) }

// tableOptions renders plain text in UTC, "now" two hours after the start.
func tableOptions() renderOptions {
	return renderOptions{format: outputTable, loc: time.UTC, now: at(3 * time.Hour)}
}

// jsonOptions renders JSON.
func jsonOptions() renderOptions {
	o := tableOptions()
	o.format = outputJSON
	return o
}

// decision builds a decided record.
func decision(id, resourceID string, t time.Time, d wal.Decided) wal.Record {
	return wal.Record{Kind: wal.KindDecided, ResourceID: resourceID, Time: t, Node: "ovi-1", Term: 3,
		DecisionID: id, CycleID: "c-0007", Decided: &d}
}

// planFixture is one cycle's decisions: two instances to create, a resize
// and a tag update, a delete, two refusals, a hold, and three unmanaged
// instances; plus the cycle's summary.
func planFixture(dryRun bool) ([]wal.Record, *wal.CycleSummary) {
	t := at(0)
	decided := []wal.Record{
		decision("d-0007-01", "i-0ddd000000000004", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionDelete, Drift: wal.DriftUnwanted,
			Reason: "Delete: Not in desired configuration", DryRun: dryRun, Group: "api"}),
		decision("d-0007-02", "", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing,
			Reason: "Create: group web has 1 of 3 instances", DryRun: dryRun, Group: "web", Count: 2,
			Size: "t3.micro", ImageID: "ami-0123456789abcdef0"}),
		decision("d-0007-03", "i-0bbb000000000002", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionResize, Drift: wal.DriftDrifted,
			Reason: "Resize: size t3.micro, want t3.small", DryRun: dryRun, Group: "web", Size: "t3.small"}),
		decision("d-0007-04", "i-0ccc000000000003", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionRefuse, Drift: wal.DriftDrifted,
			Reason: "Refused: blessed (ovi:blessed=true); resizing would stop it", DryRun: dryRun, Group: "db", Size: "m5.large"}),
		decision("d-0007-05", "i-0eee000000000005", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionRefuse, Drift: wal.DriftUnwanted,
			Reason: "Refused: blessed (ovi:blessed=true)", DryRun: dryRun, Group: "api"}),
		decision("d-0007-06", "i-0fff000000000006", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionHold, Drift: wal.DriftUnwanted,
			Reason: "Hold: deletion cap reached (max_deletions 1)", DryRun: dryRun, Group: "api"}),
		decision("d-0007-07", "i-0aaa000000000001", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionUpdateTags, Drift: wal.DriftDrifted,
			Reason: "Update tags: team differs", DryRun: dryRun, Group: "web",
			SetTags: map[string]string{"team": "platform", "environment": "prod"}, RemoveTags: []string{"owner"}}),
		decision("d-0007-08", "i-0123456789abcdef0", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionReport, Drift: wal.DriftUnmanaged,
			Reason: "Unmanaged: no ovi:managed tag", DryRun: dryRun}),
		decision("d-0007-09", "i-0123456789abcdef1", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionReport, Drift: wal.DriftUnmanaged,
			Reason: "Unmanaged: no ovi:managed tag", DryRun: dryRun}),
		decision("d-0007-10", "i-0123456789abcdef2", t, wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionReport, Drift: wal.DriftUnmanaged,
			Reason: "Unmanaged: no ovi:managed tag", DryRun: dryRun}),
	}
	summary := &wal.CycleSummary{DryRun: dryRun, Observed: 8, InSync: 0, Missing: 2, Unwanted: 3, Drifted: 3,
		Unmanaged: 3, Actions: 5, Failures: 0, DurationMS: 412, Budget: planBudget()}
	return decided, summary
}

// planBudget is the API budget of planFixture's apply: observe three
// kinds; launch once; resize (describe, stop, poll, modify, start); retag
// (one CreateTags, one DeleteTags); delete (describe, terminate).
func planBudget() *wal.APIBudget {
	c := func(op, bucket string, n int) wal.APICalls {
		return wal.APICalls{Operation: op, Bucket: bucket, Planned: n}
	}
	return &wal.APIBudget{Calls: []wal.APICalls{
		c("DescribeInstances", "describe", 4), c("DescribeSecurityGroups", "describe", 1), c("DescribeVolumes", "describe", 1),
		c("RunInstances", "run_instances", 1), c("CreateTags", "tags", 1), c("DeleteTags", "tags", 1),
		c("StopInstances", "mutating", 1), c("ModifyInstanceAttribute", "mutating", 1), c("StartInstances", "mutating", 1),
		c("TerminateInstances", "mutating", 1),
	}}
}

// appliedBudget is the budget cycleFixture recorded: the launch was
// throttled twice (the SDK's retry and the next attempt count), the
// limiter held the retry back 1.5 s.
func appliedBudget() *wal.APIBudget {
	c := func(op, bucket string, planned, made int) wal.APICalls {
		return wal.APICalls{Operation: op, Bucket: bucket, Planned: planned, Actual: made}
	}
	return &wal.APIBudget{Counted: true, WaitedMS: 1500, Calls: []wal.APICalls{
		c("DescribeInstances", "describe", 2, 2), c("DescribeSecurityGroups", "describe", 1, 1), c("DescribeVolumes", "describe", 1, 1),
		c("RunInstances", "run_instances", 1, 3), c("TerminateInstances", "mutating", 1, 1), c("CreateTags", "tags", 1, 1),
	}}
}

// entry wraps a record with its revision.
func entry(main uint64, sub uint32, rec wal.Record) walEntry {
	return walEntry{Revision: revision{Main: main, Sub: sub}, Record: rec}
}

// resource is a managed EC2 instance of a group.
func resource(id, group, size, state string, tags map[string]string) wal.Resource {
	all := map[string]string{wal.TagManaged: "true", wal.TagGroup: group}
	for k, v := range tags {
		all[k] = v
	}
	return wal.Resource{ID: id, Kind: wal.ResourceInstance, State: state, Tags: all, Managed: true, Group: group,
		Instance: &wal.Instance{Size: size, ImageID: "ami-0123456789abcdef0", SubnetID: "subnet-0a1b2c3d"}}
}

// observed builds an observed record.
func observed(t time.Time, change wal.ObservedChange, r wal.Resource) wal.Record {
	return wal.Record{Kind: wal.KindObserved, ResourceID: r.ID, Time: t, Node: "ovi-1", Term: 3, CycleID: "c-0001",
		Observed: &wal.Observed{Change: change, Resource: r}}
}

// seedReplayFixture is the seed README's replay of i-123456.
func seedReplayFixture() []walEntry {
	r := resource("i-123456", "api", "t3.micro", "running", nil)
	return []walEntry{
		entry(40, 0, observed(at(0), wal.ChangeNew, r)),
		entry(41, 0, decision("d-41", "i-123456", at(time.Second), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionDelete,
			Drift: wal.DriftUnwanted, Reason: "Delete: Not in desired configuration", Group: "api"})),
		entry(42, 0, wal.Record{Kind: wal.KindExecuting, ResourceID: "i-123456", Time: at(2 * time.Second), Node: "ovi-1",
			Term: 3, DecisionID: "d-41", Executing: &wal.Executing{Action: wal.ActionDelete, Description: "Starting deletion", Attempt: 1}}),
		entry(43, 0, wal.Record{Kind: wal.KindExecuted, ResourceID: "i-123456", Time: at(3 * time.Second), Node: "ovi-1",
			Term: 3, DecisionID: "d-41", Executed: &wal.Executed{Action: wal.ActionDelete, Message: "Successfully deleted",
				ResourceIDs: []string{"i-123456"}}}),
	}
}

// cycleFixture is a whole applied cycle: configuration, observations,
// decisions (a create of two, a delete, a tag update), their intents and
// outcomes (the create first throttled, then done), and the summary.
func cycleFixture() []walEntry {
	web := resource("i-0aaa000000000001", "web", "t3.micro", "running", map[string]string{"team": "web"})
	old := resource("i-0ddd000000000004", "api", "t3.micro", "running", nil)
	mk := func(kind wal.Kind, id, decisionID string, d time.Duration) wal.Record {
		return wal.Record{Kind: kind, ResourceID: id, Time: at(d), Node: "ovi-1", Term: 3, DecisionID: decisionID, CycleID: "c-0002"}
	}
	exec := func(r wal.Record, a wal.Action, desc string) wal.Record {
		r.Executing = &wal.Executing{Action: a, Description: desc, Attempt: 1}
		return r
	}
	done := func(r wal.Record, a wal.Action, msg string, ids ...string) wal.Record {
		r.Executed = &wal.Executed{Action: a, Message: msg, ResourceIDs: ids}
		return r
	}
	throttled := mk(wal.KindFailed, "", "d-0002-01", 4*time.Second)
	throttled.Failed = &wal.Failed{Action: wal.ActionCreate, Code: "RequestLimitExceeded", Message: "Request limit exceeded.", Retryable: true}
	tagsFailed := mk(wal.KindFailed, "i-0aaa000000000001", "d-0002-03", 6*time.Second)
	tagsFailed.Failed = &wal.Failed{Action: wal.ActionUpdateTags, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
	summary := mk(wal.KindCycleSummary, "", "", 9*time.Second)
	summary.Summary = &wal.CycleSummary{Observed: 2, Missing: 2, Unwanted: 1, Drifted: 1, Actions: 3, Failures: 1, DurationMS: 9012,
		Budget: appliedBudget()}
	return []walEntry{
		entry(50, 0, wal.Record{Kind: wal.KindConfigApplied, Time: at(0), Node: "ovi-1", Term: 3,
			Config: &wal.ConfigApplied{Source: "infrastructure.yaml", Digest: configDigest, Config: fixtureConfig()}}),
		entry(51, 0, observed(at(time.Second), wal.ChangeNew, web)),
		entry(51, 1, observed(at(time.Second), wal.ChangeNew, old)),
		entry(52, 0, decision("d-0002-01", "", at(2*time.Second), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionCreate, Drift: wal.DriftMissing,
			Reason: "Create: group web has 1 of 3 instances", Group: "web", Count: 2, Size: "t3.micro"})),
		entry(52, 1, decision("d-0002-02", old.ID, at(2*time.Second), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionDelete, Drift: wal.DriftUnwanted,
			Reason: "Delete: Not in desired configuration", Group: "api"})),
		entry(52, 2, decision("d-0002-03", web.ID, at(2*time.Second), wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionUpdateTags, Drift: wal.DriftDrifted,
			Reason: "Update tags: team differs", Group: "web", SetTags: map[string]string{"team": "platform"}})),
		entry(53, 0, exec(mk(wal.KindExecuting, "", "d-0002-01", 3*time.Second), wal.ActionCreate, "Launching 2 instances")),
		entry(54, 0, throttled),
		entry(55, 0, exec(mk(wal.KindExecuting, old.ID, "d-0002-02", 5*time.Second), wal.ActionDelete, "Starting deletion")),
		entry(56, 0, done(mk(wal.KindExecuted, old.ID, "d-0002-02", 5500*time.Millisecond), wal.ActionDelete, "Successfully deleted", old.ID)),
		entry(57, 0, exec(mk(wal.KindExecuting, web.ID, "d-0002-03", 5800*time.Millisecond), wal.ActionUpdateTags, "Updating tags")),
		entry(58, 0, tagsFailed),
		entry(59, 0, exec(mk(wal.KindExecuting, "", "d-0002-01", 7*time.Second), wal.ActionCreate, "Launching 2 instances")),
		entry(60, 0, done(mk(wal.KindExecuted, "", "d-0002-01", 8*time.Second), wal.ActionCreate, "Launched 2 instances",
			"i-0ggg000000000007", "i-0hhh000000000008")),
		entry(61, 0, summary),
	}
}

// configDigest is the fixture configuration's digest.
const configDigest = "abcd1234ef567890abcd1234ef567890abcd1234ef567890abcd1234ef567890"

// fixtureConfig is a two-group configuration.
func fixtureConfig() wal.Config {
	return wal.Config{Version: "v1", Provider: "aws", Region: "us-east-1",
		Policy: wal.Policy{DeleteUnwanted: true, MaxDeletions: 1},
		Groups: []wal.Group{
			{Name: "web", Type: "ec2", Count: 3, Size: "t3.micro", Tags: map[string]string{"team": "platform", "environment": "prod"}},
			{Name: "db", Type: "ec2", Count: 1, Size: "m5.large", Tags: map[string]string{wal.TagBlessed: "true"}},
		}}
}
