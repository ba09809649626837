package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestWALReplayAgainstAnAgentPrintsTheSeedFormat(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(seedReplayFixture())

	code, stdout, stderr := ta.run("wal", "replay", "--resource-id", "i-123456")
	clock := func(d time.Duration) string { return at(d).In(time.Local).Format("15:04:05") }
	want := clock(0) + " [observed]  Resource i-123456 found in cloud\n" +
		clock(time.Second) + " [decided]   Delete: Not in desired configuration\n" +
		clock(2*time.Second) + " [executing] Starting deletion\n" +
		clock(3*time.Second) + " [executed]  Successfully deleted\n"
	if code != exitOK || withoutRevisions(t, stdout) != want || stderr != "" {
		t.Fatalf("wal replay: code %d\nstdout:\n%s\nwant (after the revision):\n%s\nstderr: %s", code, stdout, want, stderr)
	}
}

// withoutRevisions drops the revision column of replay lines, checking
// that each starts with one ("42" or "42.1", then two spaces or more).
func withoutRevisions(t *testing.T, out string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		rev, rest, ok := strings.Cut(line, "  ")
		if _, err := parseRevision(rev); !ok || err != nil {
			t.Fatalf("replay line %q does not start with a revision: %v", line, err)
		}
		b.WriteString(strings.TrimLeft(rest, " "))
	}
	return b.String()
}

func TestWALReplayTailAndEmptyAnswers(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(cycleFixture())
	code, all, _ := ta.run("wal", "replay")
	if code != exitOK {
		t.Fatalf("replay: %d", code)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(all, "\n"), "\n")
	code, stdout, stderr := ta.run("wal", "replay", "--tail", "3")
	if code != exitOK || stderr != "" || withoutRevisions(t, stdout) != withoutRevisions(t, strings.Join(lines[len(lines)-3:], "")+"\n") {
		t.Fatalf("--tail 3: code %d, stderr %q\n%s\nwant the last 3 of\n%s", code, stderr, stdout, all)
	}
	code, stdout, stderr = ta.run("wal", "replay", "--tail", "2", "--type", "executing")
	if code != exitOK || strings.Count(stdout, "[executing]") != 2 || !strings.Contains(stdout, "Launching 2 instances") ||
		strings.Contains(stdout, "Starting deletion") {
		t.Fatalf("--tail 2 --type executing: code %d, stderr %q\n%s", code, stderr, stdout)
	}
	for _, args := range [][]string{{"wal", "replay", "--resource-id", "i-123456"}, {"-o", "json", "wal", "replay", "--resource-id", "i-123456"}} {
		code, stdout, stderr = ta.run(args...)
		if code != exitOK || stdout != "" || stderr != "No records match resource i-123456.\n" {
			t.Fatalf("ovi %v: code %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestWALReplayFilters(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(cycleFixture())

	code, stdout, stderr := ta.run("wal", "replay", "--type", "failed", "--type", "decided,executed")
	if code != exitOK {
		t.Fatalf("replay --type: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("replay --type failed,decided,executed printed %d lines, want 7:\n%s", len(lines), stdout)
	}
	for _, l := range lines {
		if !strings.Contains(l, "[failed]") && !strings.Contains(l, "[decided]") && !strings.Contains(l, "[executed]") {
			t.Fatalf("unfiltered line %q", l)
		}
	}
	if !strings.Contains(stdout, "[decided]   i-0ddd000000000004: Delete: Not in desired configuration") {
		t.Fatalf("unfiltered-by-resource replay does not name the resource:\n%s", stdout)
	}

	_, stdout, _ = ta.run("wal", "replay", "--limit", "2", "--since", at(-time.Minute).Format(time.RFC3339))
	if n := strings.Count(stdout, "\n"); n != 2 {
		t.Fatalf("--limit 2 printed %d lines:\n%s", n, stdout)
	}
	_, stdout, stderr = ta.run("wal", "replay", "--since", at(time.Hour).Format(time.RFC3339))
	if stdout != "" || !strings.HasPrefix(stderr, "No records match since ") {
		t.Fatalf("--since after every record printed:\n%s\nstderr %q", stdout, stderr)
	}
}

func TestWALReplayJSONIsNDJSON(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(seedReplayFixture())
	code, stdout, stderr := ta.run("-o", "json", "wal", "replay", "--resource-id", "i-123456")
	if code != exitOK {
		t.Fatalf("replay -o json: %d %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	var got []walEntry
	for sc.Scan() {
		var e walEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	want := seedReplayFixture()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Record.Kind != want[i].Record.Kind || got[i].Record.Describe() != want[i].Record.Describe() ||
			!got[i].Record.Time.Equal(want[i].Record.Time) || got[i].Revision.Main == 0 {
			t.Fatalf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestWALReplayBadFlagsAreOneLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"wal", "replay", "--since", "whenever"}, `ovi: --since: unrecognised time "whenever"; accepted forms: `},
		{[]string{"wal", "replay", "--type", "observed,bogus"}, `ovi: --type "bogus": unknown record kind`},
		{[]string{"wal", "replay", "--limit", "-1"}, "ovi: --limit: must be between 0 and 100000"},
		{[]string{"wal", "replay", "--tail", "0"}, "ovi: --tail: must be between 1 and 100000"},
		{[]string{"wal", "replay", "--tail", "2", "--limit", "3"}, "ovi: --limit and --tail: give one or the other"},
		{[]string{"wal", "replay", "--since", "1 hour ago", "--until", "2 hours ago"}, "ovi: --until: must be after --since"},
		{[]string{"wal", "replay", "i-123"}, `ovi: wal replay: unexpected argument "i-123"`},
		{[]string{"wal", "analyze"}, "ovi: wal analyze: no resource given"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, append([]string{"--address", "127.0.0.1:1"}, tc.args...)...)
		first := strings.SplitN(stderr, "\n", 2)[0]
		if code != exitFailure || stdout != "" || !strings.HasPrefix(first, tc.want) {
			t.Errorf("ovi %v: code %d, stderr %q; want 1 and a line starting %q", tc.args, code, stderr, tc.want)
		}
		if n := strings.Count(stderr, "\n"); n > 2 {
			t.Errorf("ovi %v: %d lines of error output: %q", tc.args, n, stderr)
		}
	}
}

func TestWALAnalyzeAgainstAnAgent(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(timelineFixture())

	code, stdout, stderr := ta.run("wal", "analyze", "--resource-id", "i-0bbb000000000002", "--timeline")
	if code != exitOK {
		t.Fatalf("analyze: %d %s", code, stderr)
	}
	for _, want := range []string{"i-0bbb000000000002 · web · t3.small · managed",
		"──● stopping       (50s)           ← decided d-0003-01 resize",
		"──○ gone                           ← decided d-0004-01 delete",
		"11 observations, 2 decisions, 2 executions, 1 failure"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("analyze --timeline lacks %q:\n%s", want, stdout)
		}
	}
	_, stdout, _ = ta.run("wal", "analyze", "i-0bbb000000000002")
	if !strings.Contains(stdout, "States: pending → running") || strings.Contains(stdout, "──●") {
		t.Fatalf("analyze without --timeline is not the summary:\n%s", stdout)
	}
	_, stdout, _ = ta.run("-o", "json", "wal", "analyze", "--resource-id", "i-0bbb000000000002")
	var tl timeline
	if err := json.Unmarshal([]byte(stdout), &tl); err != nil || len(tl.States) != 10 || tl.Counts.Failures != 1 {
		t.Fatalf("analyze JSON = %+v (%v):\n%s", tl, err, stdout)
	}
}

func TestWALReplayFollowStreamsNewRecords(t *testing.T) {
	ta := startTestAgent(t, nil)
	entries := seedReplayFixture()
	ta.proposeEntries(entries[:2])

	out := newSyncBuffer()
	ctx, cancel := contextWithCancel()
	done := make(chan int, 1)
	go func() {
		done <- runWithContext(ctx, out, "--address", ta.addr, "--no-color", "wal", "replay", "--resource-id", "i-123456", "-f")
	}()
	waitUntil(t, "the first two records", func() bool { return strings.Count(out.String(), "\n") >= 2 })
	ta.proposeEntries(entries[2:])
	waitUntil(t, "the followed records", func() bool { return strings.Count(out.String(), "\n") >= 4 })
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("follow ended with code %d", code)
	}
	if !strings.HasSuffix(out.String(), "[executed]  Successfully deleted\n") || strings.Count(out.String(), "\n") != 4 {
		t.Fatalf("follow output:\n%s", out.String())
	}
}
