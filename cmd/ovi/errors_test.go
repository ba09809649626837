package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReportErrorFormatsOneLineWithHint(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantOut  string
	}{
		{"nil", nil, exitOK, ""},
		{"plain", errors.New("boom"), exitFailure, "ovi: boom\n"},
		{"cli error with hint", newCLIError("read state", errors.New("mvcc: key not found"), "list keys with 'ovi state'"),
			exitFailure, "ovi: read state: mvcc: key not found\nhint: list keys with 'ovi state'\n"},
		{"wrapped cli error keeps its hint", fmt.Errorf("outer: %w", newCLIError("inner", errors.New("why"), "do this")),
			exitFailure, "ovi: outer: inner: why\nhint: do this\n"},
		{"multi-line message: a line each", errors.New("first line\nsecond line\n"), exitFailure, "ovi: first line\novi: second line\n"},
		{"multi-line cause: what on each line", newCLIError("read a.yaml", errors.New("a.yaml:1:1: bad\na.yaml:2:3: worse"), ""),
			exitFailure, "ovi: read a.yaml: a.yaml:1:1: bad\novi: read a.yaml: a.yaml:2:3: worse\n"},
		{"changes present is silent", errChangesPresent(), exitChanges, ""},
		{"exit error with cause", &exitError{code: 3, err: errors.New("three")}, 3, "ovi: three\n"},
		{"cli exit coder", cli.Exit("gone", 4), 4, "ovi: gone\n"},
		{"exit coder with code 0 still fails", cli.Exit("odd", 0), exitFailure, "ovi: odd\n"},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		code := reportError(&out, tc.err)
		if code != tc.wantCode || out.String() != tc.wantOut {
			t.Errorf("%s: reportError = %d, %q; want %d, %q", tc.name, code, out.String(), tc.wantCode, tc.wantOut)
		}
	}
}

func TestReportErrorHintsForUnreachableAgent(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	var out bytes.Buffer
	reportError(&out, fmt.Errorf("get status: %w", refused))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ovi: get status: dial tcp") ||
		!strings.Contains(lines[1], "hint: no agent answers there") {
		t.Fatalf("unreachable agent reported as %q", out.String())
	}
	out.Reset()
	reportError(&out, fmt.Errorf("get status: %w", context.DeadlineExceeded))
	if !strings.Contains(out.String(), "hint: the agent did not answer in time") {
		t.Fatalf("timeout reported as %q", out.String())
	}
}

func TestExitErrorUnwraps(t *testing.T) {
	cause := errors.New("cause")
	err := fmt.Errorf("ctx: %w", &exitError{code: 2, err: cause})
	if !errors.Is(err, cause) {
		t.Fatal("exitError does not unwrap to its cause")
	}
	var coder cli.ExitCoder
	if !errors.As(err, &coder) || coder.ExitCode() != 2 {
		t.Fatalf("exitError is not a cli.ExitCoder with code 2: %v", coder)
	}
}

// runCLI runs the command line in-process and returns exit code, stdout
// and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"ovi"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunBadInputIsOneLineErrors(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--no-such-flag", "version"}, "ovi: bad usage: flag provided but not defined: -no-such-flag\nhint: run 'ovi --help' for usage\n"},
		{[]string{"version", "--bogus"}, "ovi: bad usage: flag provided but not defined: -bogus\nhint: run 'ovi version --help' for usage\n"},
		{[]string{"frobnicate"}, "ovi: \"frobnicate\": unknown command\nhint: run 'ovi --help' to list the commands\n"},
		{[]string{"-o", "yaml", "version"}, "ovi: --output \"yaml\": invalid flag value: want table or json\n"},
		{[]string{"--consistency", "strong", "version"}, "ovi: --consistency \"strong\": invalid flag value: want stale, default or consistent\n"},
		{[]string{"--address", "ftp://x:1", "version"}, "ovi: --address \"ftp://x:1\": invalid flag value: scheme \"ftp\", want http or https\nhint: give a URL like http://127.0.0.1:7400 or a host:port\n"},
		{[]string{"--cert-file", "c.pem", "version"}, "ovi: --cert-file and --key-file: invalid flag value: give both or neither\n"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != exitFailure || stderr != tc.wantErr || stdout != "" {
			t.Errorf("ovi %v: code %d, stdout %q, stderr %q; want 1, \"\", %q", tc.args, code, stdout, stderr, tc.wantErr)
		}
	}
}

func TestRunPanicIsOneLineInternalError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runPanicking(&stdout, &stderr)
	if code != exitFailure || !strings.HasPrefix(stderr.String(), "ovi: internal error: kaboom\nhint: this is a bug") {
		t.Fatalf("panic reported as code %d, %q", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "goroutine") {
		t.Fatalf("panic printed a stack trace: %q", stderr.String())
	}
}

// runPanicking runs a command whose action panics, through run's recovery.
func runPanicking(stdout, stderr *bytes.Buffer) int {
	app := newApp()
	app.Commands = append(app.Commands, &cli.Command{Name: "explode", Action: func(*cli.Context) error { panic("kaboom") }})
	return runApp(context.Background(), app, []string{"ovi", "explode"}, stdout, stderr)
}

func TestRunVersionSucceeds(t *testing.T) {
	code, stdout, stderr := runCLI(t, "version")
	if code != exitOK || stdout != "ovi "+version+"\n" || stderr != "" {
		t.Fatalf("ovi version: %d %q %q", code, stdout, stderr)
	}
}
