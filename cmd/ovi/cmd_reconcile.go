package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// defaultInfrastructureFile is read by reconcile when -f is not given.
const defaultInfrastructureFile = "infrastructure.yaml"

// errActionsFailed is wrapped when an apply ends with failed actions.
var errActionsFailed = errors.New("some actions failed")

// reconcileCommand is `ovi reconcile [-f FILE] [--dry-run] [--detailed-exitcode]`.
func reconcileCommand() *cli.Command {
	return &cli.Command{
		Name:      "reconcile",
		Usage:     "compare the cloud with infrastructure.yaml, show the plan, and apply it",
		UsageText: "ovi reconcile [-f infrastructure.yaml] [--dry-run] [--detailed-exitcode]",
		Description: `Observes the cloud, decides what to change and prints the plan, grouped by
drift: + create, - delete, ~ update, ! refused (protected, with the reason),
? unmanaged (reported, never touched), … held. Without --dry-run it then
applies the plan and shows each action as it happens.

With -o json, --dry-run prints the plan as one JSON document; an apply
prints every record as a JSON line, then {"apply_complete":{...}}.

Exit codes: 0 success; 1 error (or an action failed). With
--detailed-exitcode, as Terraform's plan: 0 the cloud matches the
configuration; 2 the plan creates, updates, deletes, refuses (protected) or
holds anything (planned or applied; a short launch too); 1 error. Unmanaged
resources, which Ovi only reports, do not count.

On a terminal, an apply whose plan deletes or stops anything (a resize
stops the instance) shows the plan and asks for "yes" first; --auto-approve
skips the question. Scripts, pipes and -o json never ask. The apply observes
again after the answer; the plan is shown again if it changed meanwhile.

With a file, the first line says which configuration it replaces (source
and digest → the file's), or that it is the one in force.

Examples:
   ovi reconcile --dry-run
   ovi reconcile -f prod.yaml
   ovi reconcile --dry-run --detailed-exitcode || echo "drift!"`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Value: defaultInfrastructureFile,
				Usage: "the desired configuration (without it and with no such file, the agent's own is used)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "plan only: change nothing"},
			&cli.BoolFlag{Name: "auto-approve", Usage: "on a terminal, apply without asking first (a plan that deletes or stops anything asks for 'yes')"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when the plan changes, refuses or holds anything, 0 when the cloud matches, 1 on error"},
		}, outputFlags()...),
		Action: reconcileAction,
	}
}

func reconcileAction(c *cli.Context) error {
	req, err := reconcileRequest(c)
	if err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	if err := printConfigChange(c, s, req); err != nil {
		return err
	}
	run := newReconcileRun(c, s, req.DryRun)
	if wantsApproval(c, s) {
		if run.approved, err = approve(c, s, req); err != nil {
			return err
		}
	}
	if err := s.client.Reconcile(c.Context, req, run.record); err != nil {
		return s.apiFailure("reconcile", err)
	}
	counts, failed, err := run.finish()
	if err != nil {
		return err
	}
	if failed > 0 {
		return newCLIError("reconcile", fmt.Errorf("%w: %d", errActionsFailed, failed),
			"see why with: ovi wal replay --type failed --since 1h")
	}
	if c.Bool("detailed-exitcode") && counts.Outstanding() > 0 {
		return errChangesPresent()
	}
	return nil
}

// reconcileRequest reads the configuration file into the request. With
// the default -f and no such file, the agent's own configuration is used.
func reconcileRequest(c *cli.Context) (transport.ReconcileRequest, error) {
	req := transport.ReconcileRequest{DryRun: c.Bool("dry-run")}
	path := c.String("file")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !c.IsSet("file") {
		return req, nil
	}
	applied, err := loadInfrastructure(path)
	if err != nil {
		return req, err
	}
	req.Source, req.Digest, req.Config = applied.Source, applied.Digest, &applied.Config
	return req, nil
}

// reconcileRun renders one reconcile as its records stream in: the plan
// once the decisions are in, then (when applying) the progress.
type reconcileRun struct {
	c        *cli.Context
	w        io.Writer // where the plan goes: c.App.Writer unless set
	o        renderOptions
	dryRun   bool
	approved *planCounts // the plan the operator approved: not printed again when the apply plans the same
	decided  []wal.Record
	summary  *wal.CycleSummary
	planned  bool
	counts   planCounts
	progress *applyProgress
}

// newReconcileRun starts rendering a reconcile.
func newReconcileRun(c *cli.Context, s *session, dryRun bool) *reconcileRun {
	return &reconcileRun{c: c, o: s.render, dryRun: dryRun}
}

// record takes the next record of the run.
func (r *reconcileRun) record(rec wal.Record) error {
	switch {
	case rec.Decided != nil:
		r.decided = append(r.decided, rec)
	case rec.Summary != nil:
		summary := *rec.Summary
		r.summary = &summary
	}
	if r.dryRun {
		return nil
	}
	if r.o.json() {
		return r.apply().Record(rec)
	}
	if rec.Executing != nil || rec.Executed != nil || rec.Failed != nil {
		if err := r.plan(); err != nil {
			return err
		}
		return r.apply().Record(rec)
	}
	return nil
}

// plan prints the plan once.
func (r *reconcileRun) plan() error {
	if r.planned {
		return nil
	}
	r.planned = true
	w := r.w
	if w == nil {
		w = r.c.App.Writer
	}
	if r.approved != nil && *r.approved == countPlan(r.decided) {
		r.counts = *r.approved
		return nil
	}
	counts, err := renderPlan(w, r.o, r.decided, r.summary)
	r.counts = counts
	if err == nil && !r.dryRun && !r.o.json() && counts.Changes() > 0 {
		_, err = fmt.Fprintln(w)
	}
	return err
}

// apply returns the progress renderer, started with the decisions so far.
func (r *reconcileRun) apply() *applyProgress {
	if r.progress == nil {
		r.progress = newApplyProgress(r.c.App.Writer, r.o, r.decided)
	}
	return r.progress
}

// finish prints what is left (the plan when nothing was executed, the
// apply totals) and returns the plan's counts and the failed actions.
func (r *reconcileRun) finish() (planCounts, int, error) {
	if r.o.json() && !r.dryRun {
		done, err := r.apply().Finish()
		return countPlan(r.decided), done.Failed, err
	}
	if err := r.plan(); err != nil || r.dryRun || r.progress == nil {
		return r.counts, 0, err
	}
	if r.progress.summary == nil {
		r.progress.summary = r.summary
	}
	done, err := r.progress.Finish()
	return r.counts, done.Failed, err
}
