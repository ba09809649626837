package reconcile

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

var updateGolden = flag.Bool("update", false, "rewrite reconcile/testdata/*.golden from the current output")

func unnamedGroup(size, image string, tags ...string) wal.Group {
	g := wal.Group{Type: "ec2", Count: 3, Size: size, Image: image, Unnamed: true, Tags: map[string]string{}}
	for i := 0; i+1 < len(tags); i += 2 {
		g.Tags[tags[i]] = tags[i+1]
	}
	g.Name = DefaultGroupName(g)
	return g
}

func TestKeepGroupNames(t *testing.T) {
	web := unnamedGroup("t3.micro", "", "team", "platform")
	legacy := web
	legacy.Unnamed = false // stored before groups recorded it: its name is its default name
	named := wal.Group{Name: "api", Type: "ec2", Count: 1, Size: "t3.micro"}
	cases := map[string]struct {
		prev, next []wal.Group
		want       []string // next's names after matching
	}{
		"tag edit":          {[]wal.Group{web}, []wal.Group{unnamedGroup("t3.micro", "", "team", "infra")}, []string{web.Name}},
		"size edit":         {[]wal.Group{web}, []wal.Group{unnamedGroup("t3.small", "", "team", "platform")}, []string{web.Name}},
		"both, legacy prev": {[]wal.Group{legacy}, []wal.Group{unnamedGroup("t3.small", "", "team", "x")}, []string{web.Name}},
		"image edit is a new group": {[]wal.Group{web}, []wal.Group{unnamedGroup("t3.micro", "ami-0123456789abcdef0", "team", "platform")},
			[]string{unnamedGroup("t3.micro", "ami-0123456789abcdef0", "team", "platform").Name}},
		"ambiguous: two candidates stay new": {
			[]wal.Group{web, unnamedGroup("t3.micro", "", "team", "data")},
			[]wal.Group{unnamedGroup("t3.micro", "", "team", "x"), unnamedGroup("t3.micro", "", "team", "y")},
			[]string{unnamedGroup("t3.micro", "", "team", "x").Name, unnamedGroup("t3.micro", "", "team", "y").Name}},
		"unchanged and edited side by side": {
			[]wal.Group{web, unnamedGroup("m5.large", "ami-0123456789abcdef0")},
			[]wal.Group{unnamedGroup("m5.xlarge", "ami-0123456789abcdef0"), web},
			[]string{unnamedGroup("m5.large", "ami-0123456789abcdef0").Name, web.Name}},
		"named groups are never matched": {[]wal.Group{named}, []wal.Group{unnamedGroup("t3.micro", "")},
			[]string{unnamedGroup("t3.micro", "").Name}},
	}
	for name, c := range cases {
		prev, next := testConfig(deleteOn, c.prev...), testConfig(deleteOn, c.next...)
		KeepGroupNames(&prev, &next)
		var got []string
		for _, g := range next.Groups {
			got = append(got, g.Name)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: names %v, want %v", name, got, c.want)
		}
	}
}

// seedEdits are edits of the seed README's example (unnamed group, tags in
// block style, blessed) a user makes after it is deployed.
func seedEdits() map[string]string {
	base := "version: v1\nprovider: aws\nregion: us-east-1\n%s\nresources:\n  - %s\n"
	block := "type: ec2\n    count: 3\n    size: %s\n    tags:\n      environment: prod\n      team: %s\n      ovi:blessed: true"
	unblessed := "type: ec2\n    count: 3\n    size: %s\n    tags: {environment: prod, team: platform}"
	return map[string]string{
		"unchanged":                    fmt.Sprintf(base, "", fmt.Sprintf(block, "t3.micro", "platform")),
		"tag edited":                   fmt.Sprintf(base, "", fmt.Sprintf(block, "t3.micro", "infra")),
		"size edited":                  fmt.Sprintf(base, "", fmt.Sprintf(block, "t3.small", "platform")),
		"size, disruptive":             fmt.Sprintf(base, "policy: {allow_disruptive: true}", fmt.Sprintf(block, "t3.small", "platform")),
		"reordered":                    fmt.Sprintf(base, "", "tags:\n      ovi:blessed: true\n      team: platform\n      environment: prod\n    size: t3.micro\n    count: 3\n    type: ec2"),
		"flow style":                   fmt.Sprintf(base, "", "{type: ec2, count: 3, size: t3.micro, tags: {environment: prod, team: platform, ovi:blessed: true}}"),
		"flow, tag edited":             fmt.Sprintf(base, "", "{type: ec2, count: 3, size: t3.micro, tags: {environment: prod, team: infra, ovi:blessed: true}}"),
		"unblessed fleet: size edited": fmt.Sprintf(base, "", fmt.Sprintf(unblessed, "t3.small")),
		"unblessed fleet: size, disruptive": fmt.Sprintf(base, "policy: {allow_disruptive: true}",
			fmt.Sprintf(unblessed, "t3.small")),
	}
}

// upgradedRig is a rig whose WAL and cloud hold the seed fleet as the
// previous release wrote it (format 1 bytes captured from that release:
// the seed configuration and its three running instances).
func upgradedRig(t *testing.T, yaml string) *rig {
	t.Helper()
	raw, err := os.ReadFile("testdata/upgrade-v1-seed-fleet.hex")
	if err != nil {
		t.Fatal(err)
	}
	data, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || data[0] != wal.FormatV1 {
		t.Fatalf("golden is not a format 1 batch: %v", err)
	}
	batch, err := wal.DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, yaml)
	if _, err := r.log.Propose(context.Background(), batch.Records); err != nil {
		t.Fatal(err)
	}
	for _, rec := range batch.Records {
		if rec.Observed == nil {
			continue
		}
		res := cloneResource(rec.Observed.Resource)
		if !strings.Contains(yaml, wal.TagBlessed) {
			delete(res.Tags, wal.TagBlessed) // someone unblessed the fleet in the console
		}
		// The first cycle after the upgrade set the blessed instances'
		// termination protection (TestGuardProtectsBlessedInstances); the
		// edits start from there.
		res.Instance.TerminationProtection = res.Blessed()
		r.cloud.add(res)
	}
	return r
}

// TestSeedEditsKeepTheFleet: the seed fleet deployed by the previous
// release, then its file edited — every edit plans updates of the same
// three instances (or refusals), never a create and a delete (golden).
func TestSeedEditsKeepTheFleet(t *testing.T) {
	var out strings.Builder
	edits := seedEdits()
	for _, name := range sortedKeys(edits) {
		r := upgradedRig(t, edits[name])
		rep := r.run(r.engine(), Request{DryRun: true, Config: &r.cfg})
		fmt.Fprintf(&out, "== %s\n", name)
		for _, d := range rep.Decisions {
			a := d.Action
			if a.Action == wal.ActionCreate || a.Action == wal.ActionDelete {
				t.Errorf("%s: %s %s/%s: %s", name, a.Action, a.Group, a.ResourceID, a.Reason)
			}
			fmt.Fprintf(&out, "%s %s/%s: %s\n", a.Action, a.Group, a.ResourceID, a.Reason)
		}
	}
	golden(t, "testdata/seed-edits.golden", out.String())
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reconcile/ -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
