package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// seedInfrastructure is the seed README's infrastructure.yaml.
const seedInfrastructure = `version: v1
provider: aws
region: us-east-1

resources:
  - type: ec2
    count: 3
    size: t3.micro
    tags:
      environment: prod
      team: platform
      ovi:blessed: true  # Protected from deletion
`

// planRun is a dry-run cycle's records: its decisions and summary.
func planRun(dryRun bool) []wal.Record {
	decided, summary := planFixture(dryRun)
	return append(decided, wal.Record{Kind: wal.KindCycleSummary, Time: at(0), Summary: summary})
}

func TestReconcileDryRunPrintsThePlan(t *testing.T) {
	t.Chdir(t.TempDir()) // no infrastructure.yaml here: the agent's own is used
	ta := startTestAgent(t, emitAll(planRun(true)))
	code, stdout, stderr := ta.run("reconcile", "--dry-run")
	want, err := os.ReadFile(filepath.Join(goldenDir(t), "plan_table.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if code != exitOK || stdout != string(want) || stderr != "" {
		t.Fatalf("reconcile --dry-run: %d\n%s\nwant:\n%s\nstderr %q", code, stdout, want, stderr)
	}
	if code, _, _ := ta.run("reconcile", "--dry-run", "--detailed-exitcode"); code != exitChanges {
		t.Fatalf("--detailed-exitcode with changes = %d, want 2", code)
	}
}

// goldenDir is cmd/ovi/testdata, found before a test changes directory.
func goldenDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtimeCaller()
	return filepath.Join(filepath.Dir(file), "testdata")
}

func TestReconcileDetailedExitcodeWithoutChanges(t *testing.T) {
	decided, _ := planFixture(true)
	ta := startTestAgent(t, emitAll(decided[len(decided)-3:]))
	code, stdout, _ := ta.run("reconcile", "--dry-run", "--detailed-exitcode", "-f", writeFile(t, "infra.yaml", seedInfrastructure))
	if code != exitOK || !strings.Contains(stdout, "No changes: the cloud matches the configuration.") {
		t.Fatalf("no changes: %d\n%s", code, stdout)
	}
}

func TestReconcileSendsTheFileAndApplies(t *testing.T) {
	var mu sync.Mutex
	var got transport.ReconcileRequest
	records := make([]wal.Record, 0, 16)
	for _, e := range cycleFixture() {
		records = append(records, e.Record)
	}
	ta := startTestAgent(t, func(_ context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
		mu.Lock()
		got = req
		mu.Unlock()
		for _, rec := range records {
			emit(rec)
		}
		return nil
	})
	path := writeFile(t, "infrastructure.yaml", seedInfrastructure)
	code, stdout, stderr := ta.run("reconcile", "-f", path)
	mu.Lock()
	req := got
	mu.Unlock()
	if req.DryRun || req.Source != path || req.Config == nil || len(req.Config.Groups) != 1 || req.Config.Groups[0].Count != 3 {
		t.Fatalf("request = %+v", req)
	}
	for _, want := range []string{"Missing (in the configuration, not in the cloud):", "Plan: 2 to create, 1 to update, 1 to delete",
		"\n\n  web (2) creating…\n", "✓ deleted i-0ddd000000000004\n", "Apply complete: 2 created, 0 updated, 1 deleted, 1 failed\n"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("apply output lacks %q:\n%s", want, stdout)
		}
	}
	if code != exitFailure || stderr != "ovi: reconcile: some actions failed: 1\nhint: see why with: ovi wal replay --type failed --since 1h\n" {
		t.Fatalf("apply with a failure: %d %q", code, stderr)
	}
}

func TestReconcileJSON(t *testing.T) {
	ta := startTestAgent(t, emitAll(planRun(true)))
	f := writeFile(t, "infrastructure.yaml", seedInfrastructure)
	code, stdout, _ := ta.run("-o", "json", "reconcile", "--dry-run", "-f", f)
	var doc planDocument
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitOK || len(doc.Decisions) != 10 || doc.Changes != 5 {
		t.Fatalf("plan JSON (%d): %v\n%s", code, err, stdout)
	}

	code, stdout, _ = ta.run("-o", "json", "reconcile", "-f", f)
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	lines := 0
	var last string
	for sc.Scan() {
		lines++
		last = sc.Text()
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("apply line %d is not JSON: %q", lines, sc.Text())
		}
	}
	if code != exitOK || lines != len(planRun(true))+1 || !strings.HasPrefix(last, `{"apply_complete":`) {
		t.Fatalf("apply NDJSON (%d): %d lines, last %q", code, lines, last)
	}
}

func TestReconcileBadFileListsEveryProblem(t *testing.T) {
	path := writeFile(t, "bad.yaml", "version: v2\nprovider: gcp\nregion: us-east-1\nresources: []\n")
	code, stdout, stderr := runCLI(t, "--address", "127.0.0.1:1", "reconcile", "--dry-run", "-f", path)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if code != exitFailure || stdout != "" || len(lines) < 2 {
		t.Fatalf("bad file: %d %q", code, stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "ovi: read "+path+": "+path+":") {
			t.Fatalf("problem line %q lacks its position", l)
		}
	}
	code, _, stderr = runCLI(t, "reconcile", "-f", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != exitFailure || !strings.HasPrefix(stderr, "ovi: read ") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("missing file: %d %q", code, stderr)
	}
}

func TestReconcileWithoutAReconcilerSaysSo(t *testing.T) {
	ta := startTestAgent(t, nil)
	code, _, stderr := ta.run("reconcile", "--dry-run", "-f", writeFile(t, "i.yaml", seedInfrastructure))
	if code != exitFailure || !strings.HasPrefix(stderr, "ovi: reconcile: unavailable: ") {
		t.Fatalf("no reconciler: %d %q", code, stderr)
	}
}

// writeFile writes content to name in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// --detailed-exitcode mirrors Terraform's plan: 2 for anything but "the
// cloud matches", a hold or a refusal included; unmanaged alone is 0.
func TestReconcileDetailedExitcodeCountsHoldsAndRefusals(t *testing.T) {
	decided, _ := planFixture(true)
	for name, tc := range map[string]struct {
		records []wal.Record
		want    int
	}{
		"held":      {[]wal.Record{decided[5]}, exitChanges},
		"refused":   {[]wal.Record{decided[4]}, exitChanges},
		"unmanaged": {decided[len(decided)-3:], exitOK},
	} {
		ta := startTestAgent(t, emitAll(tc.records))
		code, stdout, _ := ta.run("reconcile", "--dry-run", "--detailed-exitcode", "-f", writeFile(t, "infra.yaml", seedInfrastructure))
		if code != tc.want {
			t.Errorf("%s: --detailed-exitcode = %d, want %d\n%s", name, code, tc.want, stdout)
		}
	}
}
