package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestVersionCommandPrintsVersion(t *testing.T) {
	var out bytes.Buffer
	app := newApp()
	app.Writer = &out
	if err := app.Run([]string{"ovi", "version"}); err != nil {
		t.Fatalf("version: %v", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "ovi "+version) {
		t.Fatalf("version output = %q, want prefix %q", got, "ovi "+version)
	}
}

func TestVersionJSON(t *testing.T) {
	for _, args := range [][]string{{"-o", "json", "version"}, {"version", "-o", "json"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK || stderr != "" {
			t.Fatalf("ovi %v: code %d, stderr %q", args, code, stderr)
		}
		assertRoundTrip(t, "version", []byte(stdout), versionView{Version: version, GoVersion: runtime.Version(),
			Platform: runtime.GOOS + "/" + runtime.GOARCH})
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "complete -o bashdefault -o default -o nospace -F _ovi_bash_autocomplete ovi",
		"zsh":  "compdef _ovi_zsh_autocomplete ovi",
		"fish": "-n '__fish_ovi_no_subcommand' -a 'reconcile'",
	} {
		code, stdout, stderr := runCLI(t, "completion", shell)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, want) {
			t.Errorf("ovi completion %s: code %d, stderr %q, no %q in\n%s", shell, code, stderr, want, stdout)
		}
	}
	code, _, stderr := runCLI(t, "completion", "tcsh")
	if code != exitFailure || stderr != "ovi: completion \"tcsh\": unsupported shell\nhint: want bash, zsh or fish\n" {
		t.Fatalf("ovi completion tcsh: %d %q", code, stderr)
	}
}
