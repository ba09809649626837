package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

func TestValidateIsOfflineAndPrintsWhatTheFileAsks(t *testing.T) {
	var table, doc string
	var applied wal.ConfigApplied
	t.Run("in a directory with infrastructure.yaml", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if err := os.WriteFile("infrastructure.yaml", []byte(seedInfrastructure), 0o600); err != nil {
			t.Fatal(err)
		}
		// No agent anywhere: --address points at nothing.
		code, stdout, stderr := runCLI(t, "--address", "127.0.0.1:1", "--no-color", "validate")
		if code != exitOK || stderr != "" {
			t.Fatalf("validate: %d %q", code, stderr)
		}
		table = stdout
		code, doc, _ = runCLI(t, "-o", "json", "validate", "-f", "infrastructure.yaml")
		var err error
		if applied, err = loadInfrastructure("infrastructure.yaml"); code != exitOK || err != nil {
			t.Fatalf("validate JSON: %d %v", code, err)
		}
	})
	assertGolden(t, "validate_table", []byte(table))
	assertRoundTrip(t, "validate", []byte(doc), validView{Valid: true, ConfigApplied: applied})
}

func TestValidateReportsLikeReconcile(t *testing.T) {
	path := writeFile(t, "bad.yaml", "version: v2\nprovider: gcp\nregion: us-east-1\nresources: []\n")
	vcode, vout, verr := runCLI(t, "validate", "-f", path)
	rcode, _, rerr := runCLI(t, "--address", "127.0.0.1:1", "reconcile", "--dry-run", "-f", path)
	if vcode != exitFailure || vout != "" || verr != rerr || vcode != rcode {
		t.Fatalf("validate: %d %q\nreconcile: %d %q", vcode, verr, rcode, rerr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(verr, "\n"), "\n") {
		if !strings.HasPrefix(l, "ovi: read "+path+": "+path+":") {
			t.Fatalf("problem line %q lacks file:line:column", l)
		}
	}
	code, _, stderr := runCLI(t, "validate", "-f", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != exitFailure || !strings.HasPrefix(stderr, "ovi: read ") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("missing file: %d %q", code, stderr)
	}
}

// TestValidateListsNamedResources: the example configuration's security
// group and blessed volume are listed beside its instance groups, by
// validate (and by state, which prints the same tables).
func TestValidateListsNamedResources(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--address", "127.0.0.1:1", "--no-color", "validate",
		"-f", filepath.Join("..", "..", "deploy", "config", "infrastructure.yaml"))
	if code != exitOK || stderr != "" {
		t.Fatalf("validate: %d %q", code, stderr)
	}
	assertGolden(t, "validate_kinds_table", []byte(stdout))
}
