package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// stateFixture is the state at revision 61.
func stateFixture() stateView {
	unmanaged := wal.Resource{ID: "i-0123456789abcdef0", Kind: wal.ResourceInstance,
		Instance: &wal.Instance{Size: "t2.large"}, State: "stopped",
		Tags: map[string]string{"Name": "legacy-bastion"}}
	db := resource("i-0ccc000000000003", "db", "m5.large", "running", map[string]string{wal.TagBlessed: "true"})
	return stateView{
		Revision:  61,
		Time:      at(9 * time.Second),
		Compacted: 12,
		Config:    &wal.ConfigApplied{Source: "infrastructure.yaml", Digest: configDigest, Config: fixtureConfig()},
		Resources: []wal.Resource{
			resource("i-0aaa000000000001", "web", "t3.micro", "running", map[string]string{"team": "platform", "environment": "prod"}),
			db,
			resource("i-0ggg000000000007", "web", "t3.micro", "pending", map[string]string{"team": "platform", wal.TagDecision: "d-0002-01"}),
			unmanaged,
		},
	}
}

func TestGoldenStateTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderState(&out, tableOptions(), stateFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "state_table", out.Bytes())
	header := strings.SplitN(out.String(), "\n", 2)[0]
	if want := "Revision 61 · 2026-11-25 10:30:09 UTC · config sha256:abcd1234 (infrastructure.yaml) · history from revision 12"; header != want {
		t.Fatalf("header = %q, want %q", header, want)
	}
}

func TestGoldenStateEmptyTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderState(&out, tableOptions(), stateView{Revision: 1}); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "state_empty_table", out.Bytes())
}

func TestStateColourKeepsColumnsAligned(t *testing.T) {
	o := tableOptions()
	o.style = style{color: true}
	var coloured, plain bytes.Buffer
	if err := renderState(&coloured, o, stateFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	if err := renderState(&plain, tableOptions(), stateFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	if stripANSI(coloured.String()) != plain.String() {
		t.Fatalf("coloured state misaligned once colours are stripped:\n%s\nplain:\n%s", stripANSI(coloured.String()), plain.String())
	}
	if !strings.Contains(coloured.String(), "\x1b[32mrunning\x1b[0m") {
		t.Fatal("running is not green")
	}
}

// stripANSI removes the renderers' colour codes.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestGoldenStateJSON(t *testing.T) {
	var out bytes.Buffer
	want := stateFixture()
	if err := renderState(&out, jsonOptions(), want); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "state_json", out.Bytes())
	assertRoundTrip(t, "state", out.Bytes(), want)
}

// historyFixture is i-0aaa000000000001 created, updated, then deleted.
func historyFixture() historyView {
	first := observed(at(time.Second), wal.ChangeNew, resource("i-0aaa000000000001", "web", "t3.micro", "pending", map[string]string{"team": "web"}))
	second := observed(at(time.Minute), wal.ChangeUpdated, resource("i-0aaa000000000001", "web", "t3.micro", "running", map[string]string{"team": "platform"}))
	return historyView{Key: "resources/i-0aaa000000000001", Versions: []historyVersion{
		{Revision: revision{Main: 51}, Version: 1, Record: &first},
		{Revision: revision{Main: 58, Sub: 2}, Version: 2, Record: &second},
		{Revision: revision{Main: 70}, Version: 0, Deleted: true},
	}}
}

func TestGoldenHistoryTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderHistory(&out, tableOptions(), historyFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "history_table", out.Bytes())
}

func TestGoldenHistoryJSON(t *testing.T) {
	var out bytes.Buffer
	want := historyFixture()
	if err := renderHistory(&out, jsonOptions(), want); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "history_json", out.Bytes())
	assertRoundTrip(t, "history", out.Bytes(), want)
}

// diffFixture is what changed from revision 50 to 61.
func diffFixture() diffView {
	added := observed(at(8*time.Second), wal.ChangeNew, resource("i-0ggg000000000007", "web", "t3.micro", "pending", map[string]string{"team": "platform"}))
	removed := observed(at(time.Second), wal.ChangeNew, resource("i-0ddd000000000004", "api", "t3.micro", "running", nil))
	before := observed(at(time.Second), wal.ChangeNew, resource("i-0aaa000000000001", "web", "t3.micro", "pending", map[string]string{"team": "web", "owner": "bob"}))
	after := observed(at(7*time.Second), wal.ChangeUpdated, resource("i-0aaa000000000001", "web", "t3.small", "running", map[string]string{"team": "platform", "environment": "prod"}))
	oldCfg := wal.Record{Kind: wal.KindConfigApplied, Time: at(0), Config: &wal.ConfigApplied{Source: "infrastructure.yaml",
		Digest: "0011223344556677", Config: fixtureConfig()}}
	newCfg := wal.Record{Kind: wal.KindConfigApplied, Time: at(5 * time.Second), Config: &wal.ConfigApplied{Source: "infrastructure.yaml",
		Digest: configDigest, Config: fixtureConfig()}}
	return diffView{From: 50, To: 61, Changes: []keyChange{
		{Key: "config", Before: &oldCfg, After: &newCfg},
		{Key: "resources/i-0aaa000000000001", Before: &before, After: &after},
		{Key: "resources/i-0ddd000000000004", Before: &removed},
		{Key: "resources/i-0ggg000000000007", After: &added},
	}}
}

func TestGoldenDiffTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderDiff(&out, tableOptions(), diffFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "diff_table", out.Bytes())
	if !strings.Contains(out.String(), "size t3.micro → t3.small; tags +environment=prod -owner ~team=web→platform") {
		t.Fatalf("diff lacks the field changes:\n%s", out.String())
	}
}

func TestGoldenDiffJSON(t *testing.T) {
	var out bytes.Buffer
	want := diffFixture()
	if err := renderDiff(&out, jsonOptions(), want); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "diff_json", out.Bytes())
	assertRoundTrip(t, "diff", out.Bytes(), want)
}

func TestDiffNoChanges(t *testing.T) {
	var out bytes.Buffer
	if err := renderDiff(&out, tableOptions(), diffView{From: 3, To: 3}); err != nil {
		t.Fatalf("render: %v", err)
	}
	if out.String() != "Revision 3 → 3: 0 added, 0 removed, 0 changed\n" {
		t.Fatalf("empty diff = %q", out.String())
	}
}
