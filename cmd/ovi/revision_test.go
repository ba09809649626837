package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

func TestParseRevision(t *testing.T) {
	for in, want := range map[string]revision{"42": {Main: 42}, " 42.1 ": {Main: 42, Sub: 1}, "1": {Main: 1}, "7.0": {Main: 7}} {
		if got, err := parseRevision(in); err != nil || got != want {
			t.Errorf("parseRevision(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got, _ := parseRevision(want.String()); got != want {
			t.Errorf("parseRevision(%v.String()) = %v", want, got)
		}
	}
	for _, in := range []string{"", "0", "0.1", "-1", "+3", "12.", ".1", "12.x", "12.1.2", "abc", "99999999999999999999", "3.4294967296"} {
		if r, err := parseRevision(in); err == nil {
			t.Errorf("parseRevision(%q) = %v, want an error", in, r)
		}
	}
}

// revisionToken is a revision as the table renderers print it.
var revisionToken = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// Every revision the CLI prints is one every --revision, --from and --to
// accepts: collect them from `state history`, `wal replay` and the state
// header, and feed each back.
func TestEveryPrintedRevisionIsAccepted(t *testing.T) {
	ta := startTestAgent(t, nil)
	revs := ta.proposeEntries(cycleFixture())
	gone := resource("i-0ddd000000000004", "api", "t3.micro", "terminated", nil)
	ta.propose([]wal.Record{observed(at(time.Minute), wal.ChangeGone, gone)})

	printed := map[string]bool{}
	for _, args := range [][]string{{"wal", "replay"}, {"state", "history", "i-0ddd000000000004"},
		{"state", "history", "i-0aaa000000000001"}, {"state", "history", "config"}, {"state"}} {
		code, stdout, stderr := ta.run(args...)
		if code != exitOK {
			t.Fatalf("ovi %v: %d %s", args, code, stderr)
		}
		for _, line := range strings.Split(stdout, "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) > 1 && f[0] == "Revision":
				printed[f[1]] = true
			case len(f) > 0 && revisionToken.MatchString(f[0]):
				printed[f[0]] = true
			}
		}
	}
	subs := 0
	for rev := range printed {
		if strings.Contains(rev, ".") {
			subs++
		}
	}
	if subs == 0 || len(printed) < 10 {
		t.Fatalf("collected too few printed revisions (want some N.S among them): %v", printed)
	}
	for rev := range printed {
		for _, args := range [][]string{{"state", "--revision", rev}, {"state", "diff", "--from", rev}, {"state", "diff", "--from", "1", "--to", rev}} {
			if code, _, stderr := ta.run(args...); code != exitOK {
				t.Errorf("printed revision %s refused by ovi %v: %s", rev, args, stderr)
			}
		}
	}
	entry := fmt.Sprint(revs[3]) // the fixture's three decisions
	_, whole, _ := ta.run("state", "--revision", entry)
	if _, sub, _ := ta.run("state", "--revision", entry+".2"); sub != whole {
		t.Fatalf("--revision %s.2 does not read the state after entry %s:\n%s\nwant\n%s", entry, entry, sub, whole)
	}
}

func TestStateAtPicksTheLastRevisionAtOrBefore(t *testing.T) {
	ta := startTestAgent(t, nil)
	revs := ta.proposeEntries(cycleFixture()) // one batch a second from fixtureStart
	when := at(2*time.Second + 500*time.Millisecond).In(time.Local)
	code, stdout, stderr := ta.run("state", "--at", when.Format(time.RFC3339Nano))
	header := fmt.Sprintf("Revision %d (the last at or before %s) · ", revs[2], when.Format(stateTimeLayout))
	if code != exitOK || !strings.HasPrefix(stdout, header) {
		t.Fatalf("state --at: code %d, stderr %q\n%s\nwant prefix %q", code, stderr, stdout, header)
	}
	code, stdout, _ = ta.run("-o", "json", "state", "--at", when.Format(time.RFC3339Nano))
	if code != exitOK || !strings.Contains(stdout, fmt.Sprintf(`"revision": %d,`, revs[2])) || !strings.Contains(stdout, `"at": "`) {
		t.Fatalf("state --at JSON: %d\n%s", code, stdout)
	}
	code, _, stderr = ta.run("state", "--at", at(-2*time.Hour).Format(time.RFC3339)) // the harness notes "up" at -1h
	if code != exitFailure || !strings.Contains(stderr, "no revision was recorded at or before that time") {
		t.Fatalf("state --at before every record: %d %q", code, stderr)
	}
}

func TestRevisionFlagErrorsAreUserErrors(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(cycleFixture())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"state", "diff", "--from", "0"}, "ovi: --from \"0\": invalid revision: revisions start at 1\n"},
		{[]string{"state", "diff", "--from", "55", "--to", "53"}, "ovi: --to 53: must be a later entry than --from 55\nhint: the older revision goes in --from\n"},
		{[]string{"state", "diff", "--from", "55", "--to", "55.1"}, "ovi: --to 55.1: must be a later entry than --from 55\nhint: the older revision goes in --from\n"},
		{[]string{"state", "--revision", "12.x"}, "ovi: --revision \"12.x\": invalid revision: the part after the dot must be a record number (e.g. 42.1)\n"},
		{[]string{"state", "--revision", "12", "--at", "now"}, "ovi: --at and --revision: give one or the other\n"},
		{[]string{"state", "--at", "whenever"}, "ovi: --at: unrecognised time \"whenever\""},
	} {
		code, stdout, stderr := ta.run(tc.args...)
		if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("ovi %v: code %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
}
