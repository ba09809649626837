package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

func TestStateCommandsAgainstAnAgent(t *testing.T) {
	ta := startTestAgent(t, nil)
	revs := ta.proposeEntries(cycleFixture())
	gone := resource("i-0ddd000000000004", "api", "t3.micro", "terminated", nil)
	last := ta.propose([]wal.Record{observed(at(time.Minute), wal.ChangeGone, gone)})[0]

	code, stdout, stderr := ta.run("state")
	if code != exitOK {
		t.Fatalf("state: %d %s", code, stderr)
	}
	header := fmt.Sprintf("Revision %d · %s · config sha256:abcd1234 (infrastructure.yaml)", last,
		at(time.Minute).In(time.Local).Format(stateTimeLayout))
	if !strings.HasPrefix(stdout, header+"\n") {
		t.Fatalf("state header:\n%s\nwant prefix %q", stdout, header)
	}
	if !strings.Contains(stdout, "i-0aaa000000000001  web    t3.micro  running  yes      no       team=web") ||
		strings.Contains(stdout, "i-0ddd000000000004") || !strings.Contains(stdout, "Configuration v1 · aws us-east-1") {
		t.Fatalf("state table:\n%s", stdout)
	}

	// Time travel: before the deletion, i-0ddd was there.
	_, stdout, _ = ta.run("state", "--revision", fmt.Sprint(revs[2]))
	if !strings.Contains(stdout, "i-0ddd000000000004") {
		t.Fatalf("state --revision %d lacks i-0ddd:\n%s", revs[2], stdout)
	}
	// A prefix still shows the configuration in the header.
	_, stdout, _ = ta.run("state", "--prefix", "resources/i-0a")
	if !strings.Contains(stdout, "config sha256:abcd1234") || strings.Count(stdout, "i-0") != 1 {
		t.Fatalf("state --prefix:\n%s", stdout)
	}

	code, stdout, _ = ta.run("-o", "json", "state")
	var view stateView
	if err := json.Unmarshal([]byte(stdout), &view); err != nil || code != exitOK {
		t.Fatalf("state JSON (%d): %v\n%s", code, err, stdout)
	}
	if view.Revision != last || len(view.Resources) != 1 || view.Config == nil || view.Config.Digest != configDigest {
		t.Fatalf("state JSON = %+v", view)
	}

	_, stdout, _ = ta.run("state", "history", "i-0ddd000000000004")
	if !strings.HasPrefix(stdout, "History of resources/i-0ddd000000000004 (2 versions)\n") || !strings.Contains(stdout, "deleted") {
		t.Fatalf("state history:\n%s", stdout)
	}

	_, stdout, _ = ta.run("state", "diff", "--from", fmt.Sprint(revs[2]), "--to", fmt.Sprint(last))
	if !strings.Contains(stdout, "- resources/i-0ddd000000000004") {
		t.Fatalf("state diff:\n%s", stdout)
	}
	_, stdout, _ = ta.run("-o", "json", "state", "diff", "--from", fmt.Sprint(revs[0]))
	var d diffView
	if err := json.Unmarshal([]byte(stdout), &d); err != nil || len(d.Changes) == 0 {
		t.Fatalf("state diff JSON: %v\n%s", err, stdout)
	}
}

func TestStateErrorsAreOneLineWithHints(t *testing.T) {
	ta := startTestAgent(t, nil)
	code, _, stderr := ta.run("state", "--revision", "999999")
	if code != exitFailure || !strings.HasPrefix(stderr, "ovi: read the state: future_revision: ") ||
		!strings.Contains(stderr, "\nhint: that revision does not exist yet") {
		t.Fatalf("future revision: %d %q", code, stderr)
	}
	code, _, stderr = ta.run("state", "diff")
	if code != exitFailure || stderr != "ovi: state diff: --from is required\nhint: e.g. ovi state diff --from 12 --to 42\n" {
		t.Fatalf("diff without --from: %d %q", code, stderr)
	}
	code, _, stderr = ta.run("state", "history")
	if code != exitFailure || !strings.HasPrefix(stderr, "ovi: state history: want exactly one resource id\n") {
		t.Fatalf("history without id: %d %q", code, stderr)
	}
}
