package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

func TestConfigChangeNamesWhatTheFileReplaces(t *testing.T) {
	current := &wal.ConfigApplied{Source: "/etc/ovi/infrastructure.yaml", Digest: "abcd1234ef567890"}
	file := transport.ReconcileRequest{Source: "infrastructure.yaml", Digest: "831ffe96aa"}
	same := file
	same.Digest = current.Digest
	dry := file
	dry.DryRun = true
	for _, tc := range []struct {
		current *wal.ConfigApplied
		req     transport.ReconcileRequest
		want    string
	}{
		{current, file, "Configuration: replacing sha256:abcd1234 (/etc/ovi/infrastructure.yaml) with sha256:831ffe96 (infrastructure.yaml); the cluster enforces it from now on"},
		{current, dry, "Configuration: planning with sha256:831ffe96 (infrastructure.yaml); the cluster enforces sha256:abcd1234 (/etc/ovi/infrastructure.yaml) (applying replaces it)"},
		{current, same, "Configuration: sha256:abcd1234 (infrastructure.yaml), the one in force"},
		{nil, file, "Configuration: sha256:831ffe96 (infrastructure.yaml) (none was in force); the cluster enforces it from now on"},
		{nil, dry, "Configuration: planning with sha256:831ffe96 (infrastructure.yaml); none is in force yet"},
	} {
		if got := configChange(tc.current, tc.req); got != tc.want {
			t.Errorf("configChange(%v, %+v)\n got %q\nwant %q", tc.current, tc.req, got, tc.want)
		}
	}
}

func TestReconcileWithAFileSaysWhichConfigurationItReplaces(t *testing.T) {
	ta := startTestAgent(t, emitAll(planRun(true)))
	ta.proposeEntries(cycleFixture()) // puts the fixture's configuration in force
	path := writeFile(t, "infrastructure.yaml", seedInfrastructure)
	code, stdout, stderr := ta.run("reconcile", "--dry-run", "-f", path)
	want := "Configuration: planning with sha256:831ffe96 (" + path + "); the cluster enforces sha256:abcd1234 (infrastructure.yaml) (applying replaces it)\n\n"
	if code != exitOK || !strings.HasPrefix(stdout, want) {
		t.Fatalf("reconcile -f: %d %q\n%s\nwant prefix %q", code, stderr, stdout, want)
	}
	if _, stdout, _ = ta.run("-o", "json", "reconcile", "--dry-run", "-f", path); !strings.HasPrefix(stdout, "{") {
		t.Fatalf("JSON plan does not start with its document:\n%s", stdout)
	}
}

func TestConfirmAcceptsOnlyYes(t *testing.T) {
	for answer, want := range map[string]bool{"yes\n": true, " yes \n": true, "y\n": false, "no\n": false, "": false, "YES\n": false} {
		var out bytes.Buffer
		ok, err := confirm(context.Background(), &out, strings.NewReader(answer), 2)
		if err != nil || ok != want || !strings.Contains(out.String(), "The plan deletes or stops 2 resources. Do you want to apply it?") {
			t.Errorf("confirm(%q) = %v, %v; want %v\n%s", answer, ok, err, want, out.String())
		}
	}
}

func TestDestructiveCountsDeletesAndResizes(t *testing.T) {
	decided, _ := planFixture(false)
	if n := destructive(decided); n != 2 { // one delete, one resize
		t.Fatalf("destructive = %d, want 2", n)
	}
}

// TestAskYesEndsWithTheContext: a prompt whose context ends (Ctrl-C
// cancels the command's) answers no at once, though the terminal read
// never returns.
func TestAskYesEndsWithTheContext(t *testing.T) {
	r, w := io.Pipe() // never written: a terminal nobody types on
	defer func() { _ = w.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	ok, err := askYes(ctx, &out, r, "Do you want to?")
	if ok || err != nil || !strings.HasSuffix(out.String(), "Enter a value: \n") {
		t.Fatalf("askYes on an ended context = %v, %v\n%s", ok, err, out.String())
	}
}
