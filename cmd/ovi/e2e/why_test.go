//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// whyFile is a configuration for the replay-all run: a named group web
// (deletions allowed, at most one per run) and a blessed group keep.
func whyFile(webCount int, team string) string {
	return fmt.Sprintf(`version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 1}
resources:
  - {name: web, type: ec2, count: %d, size: t3.micro, tags: {team: %s}}
  - {name: keep, type: ec2, count: 1, size: t3.micro, tags: {ovi:blessed: true}}
`, webCount, team)
}

// TestWhyReplaysEveryDecisionOfARun: against `ovi agent -dev`, a run of
// cycles — the example's creates, a file that replaces it (its blessed
// instances are refused, not deleted; web and keep are created), a tag
// change (update-tags), web scaled to 0 (deletes held for a re-check,
// then one delete per run, the rest held by the cap) — and `ovi why
// CYCLE` on every cycle finds every decision replayed identical.
func TestWhyReplaysEveryDecisionOfARun(t *testing.T) {
	bin := clustertest.Binary(t)
	dir := t.TempDir()
	port, client := startQuietDevAgent(t, bin, dir)
	run := func(args ...string) string { return devOvi(t, bin, port, args...) }
	file := filepath.Join(dir, "infrastructure.yaml")
	for _, step := range []struct {
		count int
		team  string
		runs  int
	}{{3, "a", 1}, {3, "b", 1}, {0, "b", 3}} {
		if err := os.WriteFile(file, []byte(whyFile(step.count, step.team)), 0o600); err != nil {
			t.Fatal(err)
		}
		for range step.runs {
			run("reconcile", "--auto-approve", "-f", file)
		}
	}
	seen := map[string]bool{}
	for _, cycle := range cycleIDs(t, client) {
		var view struct {
			Decisions []struct {
				Decision struct {
					ID      string      `json:"id"`
					Decided wal.Decided `json:"decided"`
				} `json:"decision"`
				Replay struct {
					Status string `json:"status"`
				} `json:"replay"`
			} `json:"decisions"`
		}
		if err := json.Unmarshal([]byte(run("-o", "json", "why", cycle)), &view); err != nil {
			t.Fatal(err)
		}
		for _, d := range view.Decisions {
			if d.Replay.Status != "identical" {
				t.Errorf("decision %s (%s) replayed %s", d.Decision.ID, d.Decision.Decided.Reason, d.Replay.Status)
			}
			seen[ruleOf(d.Decision.Decided)] = true
		}
	}
	for _, want := range []string{"create", "update-tags", "refuse: Protected", "hold: Held: re-checking", "hold: Held: deletion cap", "delete", "report"} {
		if !seen[want] {
			t.Errorf("the run made no %q decision; it made %v", want, seen)
		}
	}
}

// ruleOf names a decision by its action, and for refusals and holds by
// the start of its reason.
func ruleOf(d wal.Decided) string {
	switch d.Action {
	case wal.ActionRefuse, wal.ActionHold:
		reason, _, _ := strings.Cut(d.Reason, " (")
		for _, p := range []string{"Protected", "Held: re-checking", "Held: deletion cap"} {
			if strings.HasPrefix(reason, p) {
				return d.Action.String() + ": " + p
			}
		}
		return d.Action.String() + ": " + reason
	}
	return d.Action.String()
}

// cycleIDs lists the cycles that decided something, oldest first.
func cycleIDs(t *testing.T, c *transport.Client) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindDecided}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range res.Records {
		if n := len(ids); n == 0 || ids[n-1] != e.Record.CycleID {
			ids = append(ids, e.Record.CycleID)
		}
	}
	if len(ids) < 5 {
		t.Fatalf("only %d cycles decided anything", len(ids))
	}
	return ids
}

// startQuietDevAgent starts `ovi agent -dev` reconciling once an hour (so
// only the commands a test runs act) and waits for its first cycle; it
// returns the API port and a client.
func startQuietDevAgent(t *testing.T, bin, dir string) (int, *transport.Client) {
	t.Helper()
	port := clustertest.FreePort(t)
	cfgPath := filepath.Join(dir, "dev.yaml")
	if err := os.WriteFile(cfgPath, []byte("interval: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dev := clustertest.NewProc(t, "dev", t.TempDir(), bin, "agent", "-dev", "--config", cfgPath,
		"--http-port", fmt.Sprint(port), "--raft-port", fmt.Sprint(clustertest.FreePort(t)), "--gossip-port", fmt.Sprint(clustertest.FreePort(t)))
	dev.Env = simEnv()
	dev.Start()
	client, err := transport.NewClient(fmt.Sprintf("127.0.0.1:%d", port), transport.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, "the dev agent's first cycle", 30*time.Second, func() bool { return summaryCount(client) >= 1 })
	return port, client
}

// devOvi runs the CLI against the dev agent on port; it must exit 0.
func devOvi(t *testing.T, bin string, port int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--address", fmt.Sprintf("127.0.0.1:%d", port), "--no-color"}, args...)...)
	cmd.Env = hermeticEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ovi %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}
