package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// errApplyCancelled is returned when the operator does not approve.
var errApplyCancelled = errors.New("apply cancelled: nothing was changed")

// configChange says which configuration a reconcile with a file replaces:
//
//	Configuration: replacing sha256:abcd1234 (/etc/ovi/infrastructure.yaml) with sha256:831ffe96 (infrastructure.yaml)
//
// or that the file is the one in force, or that none is in force yet.
// A dry run plans with the file and replaces nothing.
func configChange(current *wal.ConfigApplied, req transport.ReconcileRequest) string {
	next := configRef(&wal.ConfigApplied{Source: req.Source, Digest: req.Digest})
	switch {
	case current == nil && req.DryRun:
		return "Configuration: planning with " + next + "; none is in force yet"
	case current == nil:
		return "Configuration: " + next + " (none was in force); the cluster enforces it from now on"
	case current.Digest == req.Digest:
		return "Configuration: " + next + ", the one in force"
	case req.DryRun:
		return "Configuration: planning with " + next + "; the cluster enforces " + configRef(current) + " (applying replaces it)"
	}
	return "Configuration: replacing " + configRef(current) + " with " + next + "; the cluster enforces it from now on"
}

// printConfigChange reads the configuration in force and prints what the
// file does to it (table output only; JSON stays one document or stream).
func printConfigChange(c *cli.Context, s *session, req transport.ReconcileRequest) error {
	if req.Config == nil || s.render.json() {
		return nil
	}
	resp, err := s.client.State(c.Context, transport.StateQuery{Prefix: stateKeyConfig, Consistency: s.consistency()})
	if err != nil {
		return s.apiFailure("read the configuration in force", err)
	}
	view := terminalSafe(stateViewOf(resp))
	req.Source = termSafe(req.Source)
	_, err = fmt.Fprintf(c.App.Writer, "%s\n\n", configChange(view.Config, req))
	return err
}

// destructive counts the decisions that delete or stop a resource (a
// resize stops the instance) — what an operator at a terminal approves.
func destructive(decided []wal.Record) int {
	n := 0
	for _, rec := range decided {
		if rec.Decided != nil && (rec.Decided.Action == wal.ActionDelete || rec.Decided.Action == wal.ActionResize) {
			n++
		}
	}
	return n
}

// wantsApproval reports whether an apply asks before acting: on a
// terminal (input and output), in table output, without --auto-approve.
// Scripts and pipes keep the non-interactive behaviour.
func wantsApproval(c *cli.Context, s *session) bool {
	return !c.Bool("dry-run") && !c.Bool("auto-approve") && !s.render.json() &&
		isTerminal(c.App.Writer) && isReaderTerminal(c.App.Reader)
}

// approve plans first (a dry run) and, when the plan deletes or stops
// anything, prints it and asks; it returns the plan's counts when the
// apply may go on. A plan with nothing destructive is not shown here (the
// apply prints it).
func approve(c *cli.Context, s *session, req transport.ReconcileRequest) (*planCounts, error) {
	dry := req
	dry.DryRun = true
	var plan bytes.Buffer
	run := &reconcileRun{c: c, o: s.render, dryRun: true, w: &plan}
	if err := s.client.Reconcile(c.Context, dry, run.record); err != nil {
		return nil, s.apiFailure("plan", err)
	}
	counts, _, err := run.finish()
	if err != nil {
		return nil, err
	}
	n := destructive(run.decided)
	if n == 0 {
		return nil, nil
	}
	if _, err := c.App.Writer.Write(plan.Bytes()); err != nil {
		return nil, fmt.Errorf("write output: %w", err)
	}
	ok, err := confirm(c.Context, c.App.Writer, c.App.Reader, n)
	if err != nil || !ok {
		return nil, errors.Join(err, newCLIError("reconcile", errApplyCancelled, "apply without asking with --auto-approve"))
	}
	return &counts, nil
}

// confirm asks, as Terraform does, for a literal "yes".
func confirm(ctx context.Context, w io.Writer, r io.Reader, destructive int) (bool, error) {
	return askYes(ctx, w, r, fmt.Sprintf("The plan deletes or stops %s. Do you want to apply it?", plural(destructive, "resource")))
}

// isReaderTerminal reports whether r is a terminal.
func isReaderTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}
