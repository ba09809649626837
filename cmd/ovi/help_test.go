package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestEveryCommandHelpHasAnExample(t *testing.T) {
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			if cmd.Hidden {
				continue
			}
			args := append(append([]string{}, path...), cmd.Name)
			code, stdout, stderr := runCLI(t, append(args, "--help")...)
			if code != exitOK || stderr != "" {
				t.Errorf("ovi %s --help: code %d, stderr %q", strings.Join(args, " "), code, stderr)
			}
			if !strings.Contains(stdout, "Example") || !strings.Contains(stdout, "ovi "+cmd.Name) && !strings.Contains(stdout, cmd.Name+" ") {
				t.Errorf("ovi %s --help has no example:\n%s", strings.Join(args, " "), stdout)
			}
			walk(args, cmd.Subcommands)
		}
	}
	walk(nil, newApp().Commands)
}

func TestOutputFlagsWorkAfterTheCommandToo(t *testing.T) {
	ta := startTestAgent(t, nil)
	for _, tc := range []struct {
		env  string
		args []string
		json bool
	}{
		{"", []string{"members"}, false},
		{"", []string{"members", "-o", "json"}, true},
		{"", []string{"-o", "json", "members"}, true},
		{"", []string{"-o", "json", "members", "--output", "table"}, false},
		{"json", []string{"members"}, true},
		{"json", []string{"members", "-o", "table"}, false},
		{"", []string{"state", "-o", "json", "diff", "--from", "1"}, true},
	} {
		t.Setenv("OVI_OUTPUT", tc.env)
		code, stdout, stderr := ta.run(tc.args...)
		if code != exitOK || strings.HasPrefix(stdout, "{") != tc.json {
			t.Errorf("OVI_OUTPUT=%q ovi %v: code %d, json %v, want %v\n%s%s", tc.env, tc.args, code,
				strings.HasPrefix(stdout, "{"), tc.json, stdout, stderr)
		}
	}
	t.Setenv("OVI_OUTPUT", "")
	code, _, stderr := ta.run("members", "-o", "yaml")
	if code != exitFailure || stderr != "ovi: --output \"yaml\": invalid flag value: want table or json\n" {
		t.Fatalf("bad local -o: %d %q", code, stderr)
	}
}
