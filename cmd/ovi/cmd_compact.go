package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/transport"
)

// errCompactCancelled is returned when the operator does not approve.
var errCompactCancelled = errors.New("compaction cancelled: nothing was dropped")

// compactCommand is `ovi compact --keep 30d | --revision N | --keep-revisions N`.
func compactCommand() *cli.Command {
	return &cli.Command{
		Name:  "compact",
		Usage: "drop key history (and, if asked, audit records) older than what you keep",
		UsageText: "ovi compact --keep DURATION | --revision N | --keep-revisions N [--audit-keep DURATION] " +
			"[--dry-run] [--auto-approve]",
		Description: `Plans first and shows what goes and what stays; asks before dropping (history that is
gone cannot be brought back). The leader commits the compaction as one 'compaction' WAL record, so
every node drops the same history. The audit log is kept whole unless --audit-keep says otherwise.
A dry run needs only the read token.

Examples:
   ovi compact --keep 30d --dry-run
   ovi compact --keep 30d --audit-keep 365d
   ovi compact --revision 1200 --auto-approve
   ovi compact --keep-revisions 100000`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "keep", Usage: "keep this much key history (30d, 12h, 1w; s m h d w)"},
			&cli.Uint64Flag{Name: "revision", Usage: "keep key history from this revision on"},
			&cli.Uint64Flag{Name: "keep-revisions", Usage: "keep the last N revisions of key history"},
			&cli.StringFlag{Name: "audit-keep", Usage: "also drop audit records older than this (at least as long as the history kept)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would go and what stays; drop nothing"},
			&cli.BoolFlag{Name: "auto-approve", Usage: "compact without asking"},
		}, outputFlags()...),
		Action: compactAction,
	}
}

// compactRequestFrom validates the flags into a request.
func compactRequestFrom(c *cli.Context) (transport.CompactRequest, error) {
	req := transport.CompactRequest{Keep: c.String("keep"), Revision: c.Uint64("revision"),
		KeepRevisions: c.Uint64("keep-revisions"), AuditKeep: c.String("audit-keep"), DryRun: c.Bool("dry-run")}
	set := 0
	for _, name := range []string{"keep", "revision", "keep-revisions"} {
		if c.IsSet(name) {
			set++
		}
	}
	if set != 1 {
		return req, newCLIError("compact", fmt.Errorf("%w: give exactly one of --keep, --revision and --keep-revisions", errInvalidFlag),
			"e.g. ovi compact --keep 30d --dry-run")
	}
	if c.IsSet("revision") && req.Revision == 0 || c.IsSet("keep-revisions") && req.KeepRevisions == 0 {
		return req, newCLIError("compact", fmt.Errorf("%w: --revision and --keep-revisions must be at least 1", errInvalidFlag), "")
	}
	for flag, v := range map[string]string{"keep": req.Keep, "audit-keep": req.AuditKeep} {
		if c.IsSet(flag) {
			if _, err := cluster.ParseSpan(v); err != nil {
				return req, newCLIError(fmt.Sprintf("--%s %q", flag, v), fmt.Errorf("%w: %w", errInvalidFlag, err), "")
			}
		}
	}
	return req, nil
}

func compactAction(c *cli.Context) error {
	req, err := compactRequestFrom(c)
	if err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	dry := req
	dry.DryRun = true
	planned, err := s.client.Compact(c.Context, dry)
	if err != nil {
		return s.apiFailure("plan the compaction", err)
	}
	if req.DryRun || planned.Plan.Nothing() {
		return renderCompact(c.App.Writer, s.render, planned, compactDryRun)
	}
	shown, err := approveCompact(c, s, planned)
	if err != nil {
		return err
	}
	done, err := s.client.Compact(c.Context, req)
	if err != nil {
		return s.apiFailure("compact", err)
	}
	if shown {
		return renderCompact(c.App.Writer, s.render, done, compactApproved)
	}
	return renderCompact(c.App.Writer, s.render, done, compactApplied)
}

// approveCompact shows the plan and asks for "yes" on a terminal; without
// one (a script), --auto-approve is required: a compaction cannot be
// undone.
// It reports whether it showed the plan.
func approveCompact(c *cli.Context, s *session, planned transport.CompactResponse) (bool, error) {
	if c.Bool("auto-approve") {
		return false, nil
	}
	if s.render.json() || !isTerminal(c.App.Writer) || !isReaderTerminal(c.App.Reader) {
		return false, newCLIError("compact", errors.New("a compaction cannot be undone and there is no terminal to ask"),
			"review it with --dry-run, then compact with --auto-approve")
	}
	if err := renderCompactPlan(c.App.Writer, s.render, &planned.Plan); err != nil {
		return true, err
	}
	ok, err := confirmCompact(c.Context, c.App.Writer, c.App.Reader)
	if err != nil || !ok {
		return true, errors.Join(err, newCLIError("compact", errCompactCancelled, "compact without asking with --auto-approve"))
	}
	return true, nil
}

// confirmCompact asks, as Terraform does, for a literal "yes".
func confirmCompact(ctx context.Context, w io.Writer, r io.Reader) (bool, error) {
	return askYes(ctx, w, r, "Dropped history cannot be brought back. Do you want to compact?")
}

// askYes asks question and reads the answer: only a literal "yes"
// approves. EOF (Ctrl-D) is no; so is ctx ending (Ctrl-C: SIGINT cancels
// the command's context), which a blocked read of a terminal would not
// see, so the answer is read aside and its reader left to the exiting
// process.
func askYes(ctx context.Context, w io.Writer, r io.Reader, question string) (bool, error) {
	_, err := fmt.Fprintf(w, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	if err != nil {
		return false, fmt.Errorf("write output: %w", err)
	}
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		answers <- answer{line, err}
	}()
	var a answer
	select {
	case <-ctx.Done():
	case a = <-answers:
	}
	if a.err != nil && !errors.Is(a.err, io.EOF) {
		return false, fmt.Errorf("read the answer: %w", a.err)
	}
	_, err = fmt.Fprintln(w)
	return strings.TrimSpace(a.line) == "yes", err
}
