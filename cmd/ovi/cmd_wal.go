package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// errBadKind is wrapped when --type names no record kind.
var errBadKind = errors.New("unknown record kind")

// walCommand is `ovi wal replay|analyze`.
func walCommand() *cli.Command {
	return &cli.Command{
		Name:  "wal",
		Usage: "read the audit log: every observation, decision and execution",
		Description: `Examples:
   ovi wal replay --resource-id i-123456 --since "1 hour ago"
   ovi wal analyze --resource-id prod-database --timeline`,
		Subcommands: []*cli.Command{
			walReplayCommand(),
			walAnalyzeCommand(),
		},
	}
}

// walFilterFlags are the flags that select records.
func walFilterFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "resource-id", Usage: "only records about this resource"},
		&cli.StringFlag{Name: "since", Usage: `from this time (e.g. "1 hour ago", 30m, yesterday, 15:04, RFC3339)`},
		&cli.StringFlag{Name: "until", Usage: "before this time (same forms as --since)"},
	}, outputFlags()...)
}

func walReplayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "print audit records in order, one a line",
		UsageText: "ovi wal replay [--resource-id ID] [--since T] [--until T] [--type KIND]... [--limit N | --tail N] [-f]",
		Description: `Examples:
   # Why did Ovi delete that resource?
   ovi wal replay --resource-id i-123456 --since "1 hour ago"
   # Every decision of the last hour, then every failure of the last day
   ovi wal replay --since "1 hour ago" --type decided
   ovi wal replay --type failed --since "1 day ago"
   # The last 20 records, then every new one as it is committed
   ovi wal replay --tail 20 -f

Each line starts with the record's revision: 'ovi state --revision REV' shows
the state right after it. Nothing matching is said on stderr ("No records
match ..."); with -o json the records are one JSON object a line (none: no line).`,
		Flags: append(walFilterFlags(),
			&cli.StringSliceFlag{Name: "type", Usage: "only these kinds (repeatable or comma-separated): observed, decided, executing, executed, failed, config, summary, compaction, note, restore, leader, delivery"},
			&cli.IntFlag{Name: "limit", Usage: "the first N records only", DefaultText: "all"},
			&cli.IntFlag{Name: "tail", Usage: "the last N records only"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new records until interrupted"},
		),
		Action: walReplayAction,
	}
}

func walReplayAction(c *cli.Context) error {
	if c.Args().Present() {
		return newCLIError("wal replay", fmt.Errorf("unexpected argument %q", c.Args().First()), "filter by resource with --resource-id ID")
	}
	q, err := walQueryFrom(c, time.Now())
	if err != nil {
		return err
	}
	if q.Limit, q.Last, err = replayLimit(c); err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	q.Consistency = s.consistency()
	entries, rev, err := replayEntries(c.Context, s, q)
	if err != nil {
		return s.apiFailure("replay the WAL", err)
	}
	if c.Bool("follow") {
		return followReplay(c, s, q, entries, rev)
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintln(c.App.ErrWriter, noRecordsLine(q, s.render))
		return err
	}
	return renderReplay(c.App.Writer, s.render, entries, q.ResourceID == "")
}

// replayEntries runs a replay: by resource with the creates attributed
// to the instances they made (resourceRecords), else as the server
// answers it.
func replayEntries(ctx context.Context, s *session, q transport.WALQuery) ([]walEntry, uint64, error) {
	if q.ResourceID != "" {
		return resourceRecords(ctx, s, q)
	}
	resp, err := s.client.WAL(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	return walEntries(resp.Records), resp.Revision, nil
}

// replayLimit reads --limit (the first N) and --tail (the last N).
func replayLimit(c *cli.Context) (int, bool, error) {
	limit, tail := c.Int("limit"), c.Int("tail")
	switch {
	case c.IsSet("limit") && c.IsSet("tail"):
		return 0, false, newCLIError("--limit and --tail", errors.New("give one or the other"), "")
	case limit < 0 || limit > transport.MaxWALLimit:
		return 0, false, newCLIError("--limit", fmt.Errorf("must be between 0 and %d", transport.MaxWALLimit), "")
	case c.IsSet("tail") && (tail < 1 || tail > transport.MaxWALLimit):
		return 0, false, newCLIError("--tail", fmt.Errorf("must be between 1 and %d", transport.MaxWALLimit), "")
	case c.IsSet("tail"):
		return tail, true, nil
	}
	return limit, false, nil
}

// describeWALQuery says what a replay asked for: "resource i-1, type
// decided, since 2026-11-25 10:00:00 UTC" ("" for no filter).
func describeWALQuery(q transport.WALQuery, o renderOptions) string {
	var parts []string
	if q.ResourceID != "" {
		parts = append(parts, "resource "+termSafe(q.ResourceID))
	}
	if len(q.Kinds) > 0 {
		names := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			names[i] = k.String()
		}
		parts = append(parts, "type "+strings.Join(names, ","))
	}
	if !q.Since.IsZero() {
		parts = append(parts, "since "+q.Since.In(o.location()).Format(stateTimeLayout))
	}
	if !q.Until.IsZero() {
		parts = append(parts, "until "+q.Until.In(o.location()).Format(stateTimeLayout))
	}
	return strings.Join(parts, ", ")
}

// noRecordsLine is what an empty replay says on stderr.
func noRecordsLine(q transport.WALQuery, o renderOptions) string {
	if d := describeWALQuery(q, o); d != "" {
		return "No records match " + d + "."
	}
	return "The audit log has no records."
}

// followReplay prints the records so far, then new ones as they are
// committed, until the command is interrupted.
func followReplay(c *cli.Context, s *session, q transport.WALQuery, entries []walEntry, rev uint64) error {
	times := []time.Time{q.Since, s.render.now}
	for _, e := range entries {
		times = append(times, e.Record.Time)
	}
	rw := newReplayWriter(c.App.Writer, s.render, replayOptions{
		withDate: spansDays(s.render.location(), times...), showResource: q.ResourceID == "",
		revWidth: max(revisionWidth(entries), len(revision{Main: rev, Sub: 1}.String()))})
	q.After = transport.Revision{Main: rev, Sub: math.MaxUint32}
	for _, e := range entries {
		if err := rw.Write(e); err != nil {
			return err
		}
		q.After = transport.Revision{Main: e.Revision.Main, Sub: e.Revision.Sub}
	}
	q.Limit, q.Last = 0, false
	err := s.client.Follow(c.Context, q, func(e transport.WALEntry) error { return rw.Write(walEntryOf(e)) })
	if err != nil && c.Err() == nil {
		return s.apiFailure("follow the WAL", err)
	}
	return nil
}

// walQueryFrom reads the filter flags.
func walQueryFrom(c *cli.Context, now time.Time) (transport.WALQuery, error) {
	q := transport.WALQuery{ResourceID: strings.TrimSpace(c.String("resource-id"))}
	var err error
	for _, name := range []string{"since", "until"} {
		if c.String(name) == "" {
			continue
		}
		t, perr := parseTimeExpr(c.String(name), now, time.Local)
		if perr != nil {
			return q, newCLIError("--"+name, perr, "")
		}
		if name == "since" {
			q.Since = t
		} else {
			q.Until = t
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return q, newCLIError("--until", errors.New("must be after --since"), "")
	}
	if c.IsSet("type") {
		q.Kinds, err = parseKinds(c.StringSlice("type"))
	}
	return q, err
}

// parseKinds reads --type values, each possibly comma-separated.
func parseKinds(values []string) ([]wal.Kind, error) {
	var kinds []wal.Kind
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			k, err := wal.ParseKind(name)
			if err != nil {
				return nil, newCLIError(fmt.Sprintf("--type %q", name), errBadKind,
					"want observed, decided, executing, executed, failed, config, summary, compaction or note")
			}
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// walEntries maps the API's entries to the renderers'.
func walEntries(in []transport.WALEntry) []walEntry {
	out := make([]walEntry, 0, len(in))
	for _, e := range in {
		out = append(out, walEntryOf(e))
	}
	return out
}

// walEntryOf maps one API entry.
// walAnalyzeCycles is `ovi wal analyze --cycles`.
func walAnalyzeCycles(c *cli.Context, q transport.WALQuery) error {
	if q.ResourceID != "" || c.Bool("timeline") {
		return newCLIError("wal analyze", errors.New("--cycles takes no resource and no --timeline"), "ask for one resource or for the cycles")
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	q.Consistency = s.consistency()
	cycles, err := readCycleBudgets(c.Context, s, q)
	if err != nil {
		return s.apiFailure("read the cycle summaries", err)
	}
	return renderCycleBudgets(c.App.Writer, s.render, cycles)
}

func walEntryOf(e transport.WALEntry) walEntry {
	return walEntry{Revision: revision{Main: e.Revision.Main, Sub: e.Revision.Sub}, Record: e.Record}
}

func walAnalyzeCommand() *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "explain one resource's lifecycle from its records, or every cycle's API calls",
		UsageText: "ovi wal analyze --resource-id ID [--timeline] [--since T] [--until T]\n   ovi wal analyze --cycles [--since T] [--until T]",
		Description: `Shows each state the resource went through, when, for how long, and which
decision moved it, with counts of observations, decisions and failures.

With --cycles, one line per reconcile cycle instead: its actions and
failures, the EC2 calls it made against the calls its plan predicted, and
the time it waited on the client-side rate limiter against the time the
limiter and EC2's buckets needed for the plan ('-' for a cycle recorded
without a budget).

Examples:
   ovi wal analyze --resource-id i-0abc123 --timeline
   ovi wal analyze --cycles --since "1 hour ago"`,
		Flags: append(walFilterFlags(),
			&cli.BoolFlag{Name: "timeline", Usage: "draw every state and event on a timeline (default: a summary)"},
			&cli.BoolFlag{Name: "cycles", Usage: "every cycle's EC2 API calls, made against planned, and its limiter wait"},
		),
		Action: walAnalyzeAction,
	}
}

func walAnalyzeAction(c *cli.Context) error {
	q, err := walQueryFrom(c, time.Now())
	if err != nil {
		return err
	}
	if c.Bool("cycles") {
		return walAnalyzeCycles(c, q)
	}
	if q.ResourceID == "" {
		q.ResourceID = strings.TrimSpace(c.Args().First())
	}
	if q.ResourceID == "" {
		return newCLIError("wal analyze", errors.New("no resource given"), "name it with --resource-id ID, or ask for --cycles")
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	q.Consistency = s.consistency()
	entries, _, err := resourceRecords(c.Context, s, q)
	if err == nil {
		entries, err = withClusterEvents(c.Context, s, q, entries)
	}
	if err != nil {
		return s.apiFailure("read the WAL of "+q.ResourceID, err)
	}
	t := buildTimeline(q.ResourceID, entries, s.render.now)
	if c.Bool("timeline") || s.render.json() {
		return renderTimeline(c.App.Writer, s.render, t)
	}
	return renderTimelineSummary(c.App.Writer, s.render, t)
}
