// Command ovi is Ovi's agent and command line.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runApp(ctx, newApp(), args, stdout, stderr)
}

// runApp runs app and returns the exit code; every error is printed to
// stderr as one "ovi: ..." line (plus a hint), never as a stack trace.
func runApp(ctx context.Context, app *cli.App, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = reportError(stderr, newCLIError("internal error", fmt.Errorf("%v", p),
				"this is a bug in ovi; please report it with the command you ran"))
		}
	}()
	app.Writer = stdout
	app.ErrWriter = stderr
	return reportError(stderr, app.RunContext(ctx, args))
}
