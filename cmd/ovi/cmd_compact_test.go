package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// compactFixture is a plan of keep 30d: the first 1202 revisions of key
// history go, the audit log before revision 800 too, one read in flight
// held nothing back.
func compactFixture() transport.CompactResponse {
	return transport.CompactResponse{Plan: transport.CompactPlan{
		Policy: "keep 30d, audit-keep 365d", Current: 5012, Compacted: 0, AuditCompacted: 0, Revision: 1203, Audit: 800,
		Cutoff: at(-30 * 24 * time.Hour), AuditCutoff: at(-365 * 24 * time.Hour), OldestKept: at(-300 * 24 * time.Hour),
		Dropped: transport.CompactUsage{Keys: 120, Versions: 1850, KVBytes: 422195, Records: 799, AuditBytes: 310044},
		Kept:    transport.CompactUsage{Keys: 190, Versions: 3162, KVBytes: 718848, Records: 9871, AuditBytes: 3250586},
	}}
}

func TestGoldenCompactDryRunTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderCompact(&out, tableOptions(), compactFixture(), compactDryRun); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "compact_dry_run_table", out.Bytes())
}

func TestGoldenCompactAppliedTable(t *testing.T) {
	resp := compactFixture()
	resp.Revision = 5013
	resp.Plan.Audit, resp.Plan.Dropped.Records, resp.Plan.Dropped.AuditBytes, resp.Plan.AuditCutoff = 0, 0, 0, time.Time{}
	resp.Plan.Policy = "keep 30d"
	resp.Plan.Held = []transport.CompactHold{{Node: "ovi-2", Revision: 1203}}
	var out bytes.Buffer
	if err := renderCompact(&out, tableOptions(), resp, compactApplied); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "compact_applied_table", out.Bytes())
	var approved bytes.Buffer
	if err := renderCompact(&approved, tableOptions(), resp, compactApproved); err != nil {
		t.Fatal(err)
	}
	if want := "\nCompacted in revision 5013: about 412.3 KiB freed (the store reuses the pages; its file does not shrink).\n"; approved.String() != want {
		t.Fatalf("after the prompt showed the plan: %q, want %q", approved.String(), want)
	}
}

func TestGoldenCompactNothingAndJSON(t *testing.T) {
	resp := transport.CompactResponse{Plan: transport.CompactPlan{Policy: "keep 30d", Current: 90, Compacted: 40, Revision: 40}}
	var out bytes.Buffer
	if err := renderCompact(&out, tableOptions(), resp, compactDryRun); err != nil {
		t.Fatal(err)
	}
	if want := "Nothing to compact (keep 30d): key history is kept from revision 40, the audit log whole.\n"; out.String() != want {
		t.Fatalf("nothing to do: %q, want %q", out.String(), want)
	}
	var js bytes.Buffer
	if err := renderCompact(&js, renderOptions{format: outputJSON}, compactFixture(), compactDryRun); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "compact_dry_run_json", js.Bytes())
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 422195: "412.3 KiB", 3250586: "3.1 MiB", 5 << 30: "5 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// compactAgent is a test agent with notes at revisions it returns.
func compactAgent(t *testing.T) (*testAgent, []uint64) {
	t.Helper()
	ta := startTestAgent(t, nil)
	var batches [][]wal.Record
	for i := range 5 {
		batches = append(batches, []wal.Record{{Kind: wal.KindNote, ResourceID: "i-1", Time: at(time.Duration(i) * time.Minute),
			Note: &wal.Note{Text: "n" + strconv.Itoa(i)}}})
	}
	return ta, ta.propose(batches...)
}

// TestCompactCommand: the dry run says what goes and drops nothing; the
// apply without a terminal needs --auto-approve; with it the leader
// commits one compaction record and older reads fail.
func TestCompactCommand(t *testing.T) {
	ta, revs := compactAgent(t)
	at3 := strconv.FormatUint(revs[3], 10)
	code, out, errOut := ta.run("compact", "--revision", at3, "--dry-run")
	if code != 0 || !strings.Contains(out, "Compaction plan (revision "+at3+") at revision ") ||
		!strings.Contains(out, "Dry run: nothing was dropped.") || !strings.Contains(out, "audit log    nothing (kept whole)") {
		t.Fatalf("dry run: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, _, errOut = ta.run("compact", "--revision", at3)
	if code != 1 || errOut != "ovi: compact: a compaction cannot be undone and there is no terminal to ask\n"+
		"hint: review it with --dry-run, then compact with --auto-approve\n" {
		t.Fatalf("apply without a terminal: exit %d, stderr %q", code, errOut)
	}
	if _, recs, _ := ta.run("-o", "json", "wal", "replay", "--type", "compaction"); strings.Contains(recs, `"compaction"`) {
		t.Fatalf("a refused or dry compaction wrote a record:\n%s", recs)
	}
	code, out, errOut = ta.run("compact", "--revision", at3, "--auto-approve")
	if code != 0 || !strings.Contains(out, "Compacted in revision ") {
		t.Fatalf("apply: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, _, errOut = ta.run("state", "--revision", strconv.FormatUint(revs[1], 10))
	if code != 1 || !strings.Contains(errOut, "compacted") {
		t.Fatalf("read below the compaction: exit %d, %q", code, errOut)
	}
	code, out, _ = ta.run("-o", "json", "compact", "--keep-revisions", "1000", "--dry-run")
	var resp transport.CompactResponse
	if code != 0 || json.Unmarshal([]byte(out), &resp) != nil || !resp.Plan.Nothing() || resp.Plan.Compacted != revs[3] {
		t.Fatalf("json dry run after the compaction: exit %d\n%s", code, out)
	}
}

func TestCompactBadInputIsOneLine(t *testing.T) {
	ta, revs := compactAgent(t)
	if code, _, errOut := ta.run("compact", "--revision", strconv.FormatUint(revs[2], 10), "--auto-approve"); code != 0 {
		t.Fatalf("compact: %s", errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compact"}, "ovi: compact: invalid flag value: give exactly one of --keep, --revision and --keep-revisions\nhint: e.g. ovi compact --keep 30d --dry-run\n"},
		{[]string{"compact", "--keep", "30d", "--revision", "4"}, "ovi: compact: invalid flag value: give exactly one of --keep, --revision and --keep-revisions\n"},
		{[]string{"compact", "--keep", "30x"}, "ovi: --keep \"30x\": invalid flag value: bad duration \"30x\": \"x\" is not one of s, m, h, d, w (largest first, each once)\n"},
		{[]string{"compact", "--keep", "30d", "--audit-keep", "forever"}, "ovi: --audit-keep \"forever\": invalid flag value: bad duration \"forever\": want a number and a unit (s, m, h, d or w), e.g. 30d\n"},
		{[]string{"compact", "--revision", "0"}, "ovi: compact: invalid flag value: --revision and --keep-revisions must be at least 1\n"},
		{[]string{"compact", "--revision", "999999", "--dry-run"}, "ovi: plan the compaction: future_revision: compact: revision 999999 is past the current revision "},
		{[]string{"compact", "--revision", strconv.FormatUint(revs[1], 10), "--dry-run"}, "ovi: plan the compaction: compacted: compact: revision " + strconv.FormatUint(revs[1], 10) + " is already compacted (history is kept from revision " + strconv.FormatUint(revs[2], 10) + ")\n"},
	} {
		code, _, errOut := ta.run(tc.args...)
		if code != 1 || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") > 2 {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}
