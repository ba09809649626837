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
		decision("d-0007-01", "i-0ddd000000000004", t, wal.Decided{Action: wal.ActionDelete, Drift: wal.DriftUnwanted,
			Reason: "Delete: Not in desired configuration", DryRun: dryRun, Group: "api"}),
		decision("d-0007-02", "", t, wal.Decided{Action: wal.ActionCreate, Drift: wal.DriftMissing,
			Reason: "Create: group web has 1 of 3 instances", DryRun: dryRun, Group: "web", Count: 2,
			Size: "t3.micro", ImageID: "ami-0123456789abcdef0"}),
		decision("d-0007-03", "i-0bbb000000000002", t, wal.Decided{Action: wal.ActionResize, Drift: wal.DriftDrifted,
			Reason: "Resize: size t3.micro, want t3.small", DryRun: dryRun, Group: "web", Size: "t3.small"}),
		decision("d-0007-04", "i-0ccc000000000003", t, wal.Decided{Action: wal.ActionRefuse, Drift: wal.DriftDrifted,
			Reason: "Refused: blessed (ovi:blessed=true); resizing would stop it", DryRun: dryRun, Group: "db", Size: "m5.large"}),
		decision("d-0007-05", "i-0eee000000000005", t, wal.Decided{Action: wal.ActionRefuse, Drift: wal.DriftUnwanted,
			Reason: "Refused: blessed (ovi:blessed=true)", DryRun: dryRun, Group: "api"}),
		decision("d-0007-06", "i-0fff000000000006", t, wal.Decided{Action: wal.ActionHold, Drift: wal.DriftUnwanted,
			Reason: "Hold: deletion cap reached (max_deletions 1)", DryRun: dryRun, Group: "api"}),
		decision("d-0007-07", "i-0aaa000000000001", t, wal.Decided{Action: wal.ActionUpdateTags, Drift: wal.DriftDrifted,
			Reason: "Update tags: team differs", DryRun: dryRun, Group: "web",
			SetTags: map[string]string{"team": "platform", "environment": "prod"}, RemoveTags: []string{"owner"}}),
		decision("d-0007-08", "i-0123456789abcdef0", t, wal.Decided{Action: wal.ActionReport, Drift: wal.DriftUnmanaged,
			Reason: "Unmanaged: no ovi:managed tag", DryRun: dryRun}),
		decision("d-0007-09", "i-0123456789abcdef1", t, wal.Decided{Action: wal.ActionReport, Drift: wal.DriftUnmanaged,
			Reason: "Unmanaged: no ovi:managed tag", DryRun: dryRun}),
		decision("d-0007-10", "i-0123456789abcdef2", t, wal.Decided{Action: wal.ActionReport, Drift: wal.DriftUnmanaged,
			Reason: "Unmanaged: no ovi:managed tag", DryRun: dryRun}),
	}
	summary := &wal.CycleSummary{DryRun: dryRun, Observed: 8, InSync: 0, Missing: 2, Unwanted: 3, Drifted: 3,
		Unmanaged: 3, Actions: 5, Failures: 0, DurationMS: 412}
	return decided, summary
}
