package wal

import (
	"strings"
	"testing"
)

// TestDescribeSeedReplay reproduces the seed README's replay lines.
func TestDescribeSeedReplay(t *testing.T) {
	obs := header(KindObserved)
	obs.ResourceID = "i-123456"
	obs.Observed = &Observed{Change: ChangeNew, Resource: Resource{ID: "i-123456", Kind: ResourceInstance, Instance: &Instance{}}}
	dec := header(KindDecided)
	dec.Decided = &Decided{Action: ActionDelete, Drift: DriftUnwanted, Reason: "Delete: Not in desired configuration"}
	exing := header(KindExecuting)
	exing.Executing = &Executing{Action: ActionDelete}
	exed := header(KindExecuted)
	exed.Executed = &Executed{Action: ActionDelete}
	want := []string{"Resource i-123456 found in cloud", "Delete: Not in desired configuration",
		"Starting deletion", "Successfully deleted"}
	for i, r := range []Record{obs, dec, exing, exed} {
		if got := r.Describe(); got != want[i] {
			t.Errorf("%s: Describe() = %q, want %q", r.Kind, got, want[i])
		}
	}
}

func TestDescribeEveryKind(t *testing.T) {
	want := map[Kind]string{
		KindObserved:      "Resource i-0123456789abcdef0 changed (t3.micro, running)",
		KindDecided:       "Update tags: env differs (dry run)",
		KindExecuting:     "Starting deletion",
		KindExecuted:      "Successfully created",
		KindFailed:        "Resize failed: RequestLimitExceeded: Rate exceeded (retryable)",
		KindConfigApplied: "Configuration applied from /etc/ovi/infrastructure.yaml (2 groups, 1 named resources, digest ab12cd34)",
		KindCycleSummary:  "Dry-run cycle: 10 observed, 5 in sync, 1 missing, 2 unwanted, 1 drifted, 1 unmanaged; -4 actions, 1 failures in 1.234s; 11 API calls (10 planned, 1.498s waited)",
		KindCompaction:    "History compacted below revision 1099511627776; audit records below revision 549755813888 dropped (retention history=30d audit=365d)",
		KindNote:          "operator: planned maintenance ✓",
		KindRestore:       "Snapshot 9f86d081884c restored: history rewound from revision 812 to 640, 57 records dropped (write token, via ovi-2)",
		KindLeadership:    "ovi-1 leads term 7 (previous leader ovi-3): previous leader failed",
		KindDelivery:      "Event 1042.3 not delivered to ops after 6 attempts: HTTP 503 Service Unavailable",
	}
	for _, r := range fullRecords() {
		if got := r.Describe(); got != want[r.Kind] {
			t.Errorf("%s: Describe() = %q, want %q", r.Kind, got, want[r.Kind])
		}
	}
}

func TestDescribeDefaults(t *testing.T) {
	gone := header(KindObserved)
	gone.Observed = &Observed{Change: ChangeGone}
	dec := header(KindDecided)
	dec.Decided = &Decided{Action: ActionReport, Drift: DriftUnmanaged}
	fail := header(KindFailed)
	fail.Failed = &Failed{Action: ActionCreate}
	exed := header(KindExecuted)
	exed.Executed = &Executed{Action: ActionUpdateTags}
	cases := map[string]struct {
		r    Record
		want string
	}{
		"gone uses record id": {gone, "Resource i-0123456789abcdef0 no longer in cloud"},
		"decided no reason":   {dec, "Report: unmanaged"},
		"failed no code":      {fail, "Creation failed"},
		"executed tags":       {exed, "Successfully updated tags"},
		"missing payload":     {header(KindNote), "note record without its payload"},
	}
	for name, c := range cases {
		if got := c.r.Describe(); got != c.want {
			t.Errorf("%s: Describe() = %q, want %q", name, got, c.want)
		}
	}
	cfg := fullRecords()[KindConfigApplied-1]
	cfg.Config.Digest = strings.Repeat("f", 64)
	if got := cfg.Describe(); !strings.HasSuffix(got, "digest ffffffffffff)") {
		t.Errorf("long digest not shortened: %q", got)
	}
}
