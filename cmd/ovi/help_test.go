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

// Every flag's help names one default at most ("(default 7400) (default:
// 0)" once said two things), and a required flag none.
func TestHelpShowsOneDefaultPerFlag(t *testing.T) {
	var walk func(path []string, cmds []*cli.Command)
	check := func(args []string) {
		_, stdout, _ := runCLI(t, append(args, "--help")...)
		for _, line := range strings.Split(stdout, "\n") {
			if n := strings.Count(line, "default"); n > 1 && !strings.Contains(line, "stale, default or consistent") ||
				strings.Contains(line, "(required)") && strings.Contains(line, "(default") {
				t.Errorf("ovi %s --help: %q", strings.Join(args, " "), line)
			}
			if strings.Contains(line, "(default: false)") {
				t.Errorf("ovi %s --help shows a switch's default: %q", strings.Join(args, " "), line)
			}
		}
	}
	walk = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			args := append(append([]string{}, path...), cmd.Name)
			check(args)
			walk(args, cmd.Subcommands)
		}
	}
	check(nil)
	walk(nil, newApp().Commands)
}
