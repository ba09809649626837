//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// adoptFile is the example configuration plus units describing what dev
// mode's simulator holds that Ovi did not make: the data team's two
// t3.small instances, its legacy-admin security group and its scratch
// volume.
func adoptFile(t *testing.T) string {
	example := readFile(t, filepath.Join(repoRoot(t), "deploy", "config", "infrastructure.yaml"))
	return example + `
  - {name: data, type: ec2, count: 2, size: t3.small, tags: {team: data}}
  - type: security_group
    name: legacy-admin
    description: hand-made admin access
    ingress:
      - {protocol: tcp, ports: 22, cidrs: [203.0.113.0/24]}
    tags: {team: data}
  - {type: ebs_volume, name: scratch, availability_zone: us-east-1a, size_gib: 50, volume_type: gp3, tags: {team: data}}
`
}

// TestAdoptTheDevSeed: against `ovi agent -dev` (real processes, the
// simulator), the plan of a file describing the seeded resources lists
// them as adoptable; `ovi adopt -f FILE --matching data` puts the file in
// force and adopts both instances, the group and the volume follow by
// --matching and by id; afterwards reconcile plans no create, the WAL holds
// decided/executing/executed per resource, `ovi why` replays the adoption
// identical, a second adoption finds nothing, and bad input is one line.
// (The tags written are checked against the simulator in aws.)
func TestAdoptTheDevSeed(t *testing.T) {
	bin := clustertest.Binary(t)
	dir := t.TempDir()
	port, client := startQuietDevAgent(t, bin, dir)
	run := func(args ...string) string { return devOvi(t, bin, port, args...) }
	file := filepath.Join(dir, "infrastructure.yaml")
	if err := os.WriteFile(file, []byte(adoptFile(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Adoptable []struct {
			ResourceID string `json:"resource_id"`
			Into       string `json:"into"`
			Command    string `json:"command"`
		} `json:"adoptable"`
	}
	if err := json.Unmarshal([]byte(run("-o", "json", "reconcile", "--dry-run", "-f", file)), &plan); err != nil {
		t.Fatal(err)
	}
	into := map[string]string{}
	for _, h := range plan.Adoptable {
		into[h.ResourceID] = h.Into
	}
	if len(plan.Adoptable) != 4 || len(into) != 4 {
		t.Fatalf("adoptable %+v, want the 2 instances, the group and the volume", plan.Adoptable)
	}
	if table := run("reconcile", "--dry-run", "-f", file); !strings.Contains(table, "Adoptable (") || !strings.Contains(table, plan.Adoptable[0].Command) {
		t.Fatalf("plan without the adoptable section:\n%s", table)
	}
	if out := run("adopt", "-f", file, "--matching", "data", "--dry-run"); !strings.Contains(out, "Adopt plan: 2 to adopt, 0 not adopted") {
		t.Fatalf("dry run:\n%s", out)
	}
	if out := run("adopt", "-f", file, "--matching", "data", "--auto-approve"); !strings.Contains(out, "Adopt complete: 2 adopted, 0 failed") {
		t.Fatalf("adopt data:\n%s", out)
	}
	if out := run("adopt", "--matching", "legacy-admin", "--auto-approve"); !strings.Contains(out, "Adopt complete: 1 adopted, 0 failed") {
		t.Fatalf("adopt legacy-admin:\n%s", out)
	}
	var volume string
	for id, unit := range into {
		if unit == "scratch" {
			volume = id
		}
	}
	if out := run("adopt", "--into", "scratch", "--auto-approve", volume); !strings.Contains(out, "Adopt complete: 1 adopted, 0 failed") {
		t.Fatalf("adopt %s:\n%s", volume, out)
	}
	checkAdopted(t, run, client, into)
	if out := run("adopt", "--matching", "data"); !strings.Contains(out, "Adopt plan: 0 to adopt, 0 not adopted") {
		t.Fatalf("a second adoption:\n%s", out)
	}
	code, stderr := devOviFails(t, bin, port, "adopt", "--into", "data", "i-0123456789abcdef0")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "unknown resource i-0123456789abcdef0") {
		t.Fatalf("unknown id: exit %d, stderr %q", code, stderr)
	}
}

// checkAdopted: the next plan creates nothing; each adopted resource's
// WAL has decided, executing, executed adopt; `ovi why` replays it.
func checkAdopted(t *testing.T, run func(...string) string, client *transport.Client, into map[string]string) {
	t.Helper()
	if out := run("reconcile", "--dry-run"); !strings.Contains(out, "Plan: 0 to create") {
		t.Fatalf("after the adoptions the plan creates:\n%s", out)
	}
	for id, unit := range into {
		var recs []string
		res, err := client.WAL(context.Background(), transport.WALQuery{ResourceID: id})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Records {
			r := e.Record
			switch {
			case r.Decided != nil && r.Decided.Action == wal.ActionAdopt:
				recs = append(recs, "decided")
			case r.Executing != nil && r.Executing.Action == wal.ActionAdopt:
				recs = append(recs, "executing")
			case r.Executed != nil && r.Executed.Action == wal.ActionAdopt:
				recs = append(recs, "executed")
			}
		}
		if strings.Join(recs, ",") != "decided,executing,executed" {
			t.Errorf("%s: adopt records %v", id, recs)
		}
		var why struct {
			Decision struct {
				Decided wal.Decided `json:"decided"`
			} `json:"decision"`
			Replay struct {
				Status string `json:"status"`
			} `json:"replay"`
		}
		if err := json.Unmarshal([]byte(run("-o", "json", "why", id)), &why); err != nil {
			t.Fatal(err)
		}
		if why.Decision.Decided.Action != wal.ActionAdopt || why.Decision.Decided.Group != unit || why.Replay.Status != "identical" {
			t.Errorf("why %s: %+v, replay %s", id, why.Decision.Decided, why.Replay.Status)
		}
	}
	state := run("-o", "json", "state")
	for id := range into {
		if !strings.Contains(state, id) {
			t.Errorf("state lacks %s", id)
		}
	}
}

// devOviFails runs the CLI against the dev agent and returns its exit
// code and stderr.
func devOviFails(t *testing.T, bin string, port int, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--address", fmt.Sprintf("127.0.0.1:%d", port), "--no-color"}, args...)...)
	cmd.Env = hermeticEnv()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, errb.String()
}
