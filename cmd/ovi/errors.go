package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes. With --detailed-exitcode, reconcile exits exitChanges when
// the plan changes the cloud and exitOK when it does not.
const (
	exitOK      = 0 // success; with --detailed-exitcode: no changes
	exitFailure = 1 // any error
	exitChanges = 2 // --detailed-exitcode: success, changes present
)

// cliError is an error the CLI prints as "ovi: <what>: <why>", with an
// optional "hint: ..." line after it.
type cliError struct {
	what string
	err  error
	hint string
}

// newCLIError wraps err with what was being done and an optional hint.
func newCLIError(what string, err error, hint string) *cliError {
	return &cliError{what: what, err: err, hint: hint}
}

// Error implements error: "<what>: <why>".
func (e *cliError) Error() string {
	if e.err == nil {
		return e.what
	}
	return e.what + ": " + e.err.Error()
}

// Unwrap returns the cause.
func (e *cliError) Unwrap() error { return e.err }

// exitError ends the program with a chosen exit code. A nil err exits
// silently (e.g. "changes present" under --detailed-exitcode).
type exitError struct {
	code int
	err  error
}

// errChangesPresent is returned by a successful reconcile whose plan
// changes the cloud, when --detailed-exitcode is set.
func errChangesPresent() error { return &exitError{code: exitChanges} }

// Error implements error.
func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns the cause, if any.
func (e *exitError) Unwrap() error { return e.err }

// ExitCode implements cli.ExitCoder.
func (e *exitError) ExitCode() int { return e.code }

// silent reports whether nothing should be printed for the error.
func (e *exitError) silent() bool { return e.err == nil }

// reportError prints err to w in the CLI's one-line format and returns
// the process exit code: exitOK for nil, the code an exitCoder carries,
// exitFailure otherwise. It never prints a stack trace, and it escapes
// control characters (an error can quote a cloud message or a config file).
func reportError(w io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	if coder, ok := errors.AsType[cli.ExitCoder](err); ok {
		code = coder.ExitCode()
	}
	if ee, ok := errors.AsType[*exitError](err); ok && ee.silent() {
		return code
	}
	for _, line := range errorLines(err) {
		_, _ = fmt.Fprintf(w, "ovi: %s\n", termSafe(line))
	}
	if hint := hintFor(err); hint != "" {
		_, _ = fmt.Fprintf(w, "hint: %s\n", termSafe(oneLine(hint)))
	}
	if code == exitOK {
		code = exitFailure
	}
	return code
}

// hintFor returns the hint to print below an error: the one a cliError
// carries, else one for well-known causes.
func hintFor(err error) string {
	if ce, ok := errors.AsType[*cliError](err); ok && ce.hint != "" {
		return ce.hint
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "no agent answers there; start one with 'ovi agent -dev', or point --address / OVI_ADDR at a running node"
	case errors.Is(err, context.DeadlineExceeded):
		return "the agent did not answer in time; check --address / OVI_ADDR and the network"
	}
	return ""
}

// errorLines splits an error into one line per problem: a message of
// several lines (e.g. every problem of a configuration file) becomes
// several "ovi: ..." lines, each with the cliError's "what" in front.
func errorLines(err error) []string {
	prefix, msg := "", err.Error()
	// Only a cliError that is the whole message (nothing wrapped around
	// it) lends its "what" to every line.
	if ce, ok := errors.AsType[*cliError](err); ok && ce.err != nil && ce.Error() == msg {
		prefix, msg = ce.what+": ", ce.err.Error()
	}
	var lines []string
	for _, line := range strings.Split(msg, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, prefix+line)
		}
	}
	if len(lines) == 0 {
		return []string{strings.TrimSuffix(prefix, ": ")}
	}
	return lines
}

// oneLine folds a multi-line message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", "")), " ")
}

// usageError turns a flag-parsing error into a one-line cliError that
// points at the command's help (urfave/cli would otherwise print the
// whole help text).
func usageError(c *cli.Context, err error, _ bool) error {
	name := "ovi"
	if c != nil && c.Command != nil && c.Command.HelpName != "" {
		name = c.Command.HelpName
	}
	return newCLIError("bad usage", err, "run '"+name+" --help' for usage")
}

// ignoreExitCoder stops urfave/cli from calling os.Exit itself; main
// reports the error and chooses the exit code.
func ignoreExitCoder(*cli.Context, error) {}

// setUsageErrors gives every command (and subcommand) the one-line
// usage error; urfave/cli does not inherit OnUsageError.
func setUsageErrors(cmds []*cli.Command) {
	for _, cmd := range cmds {
		if cmd.OnUsageError == nil {
			cmd.OnUsageError = usageError
		}
		setUsageErrors(cmd.Subcommands)
	}
}
