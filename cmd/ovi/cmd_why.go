package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// whyCommand is `ovi why REF`: a recorded decision with the inputs it was
// made from, the rule that fired, a replay of Decide on those inputs, and
// what happened next.
func whyCommand() *cli.Command {
	return &cli.Command{
		Name:      "why",
		Usage:     "explain a recorded decision from its recorded inputs, and replay it",
		UsageText: "ovi why [--revision REV | --at TIME] DECISION-ID | CYCLE-ID | RESOURCE-ID | NAME",
		Description: `REF is a decision id (n1-20251125T103001Z-1a2b3c4d-2), a cycle id (every
decision of the cycle), a resource id or a group or resource name (its latest
decision, or the latest at --revision / --at). The inputs are read by time travel
at the revision the cycle decided at; Decide is re-run on exactly them.

Examples:
   ovi why i-0abc123
   ovi why --at "10 minutes ago" web
   ovi why n1-20251125T103001Z-1a2b3c4d-2
   ovi -o json why i-0abc123`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "revision", Usage: "the latest decision at or before this revision, e.g. 42"},
			&cli.StringFlag{Name: "at", Usage: `the latest decision at or before this time (e.g. "2 hours ago", 15:04, RFC3339)`},
		}, outputFlags()...),
		Action: whyAction,
	}
}

func whyAction(c *cli.Context) error {
	if c.NArg() != 1 {
		hint := "e.g. ovi why i-0abc123"
		if c.NArg() > 1 && strings.HasPrefix(c.Args().Get(1), "-") {
			hint = "flags go before REF: ovi why --at TIME REF"
		}
		return newCLIError("why", errors.New("want exactly one decision id, cycle id, resource id or name"), hint)
	}
	if c.IsSet("at") && c.IsSet("revision") {
		return newCLIError("--at and --revision", errors.New("give one or the other"), "")
	}
	rev, _, err := revisionFlag(c, "revision")
	if err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	if c.IsSet("at") {
		if rev, _, err = revisionAt(c, s, c.String("at")); err != nil {
			return err
		}
	}
	ref := strings.TrimSpace(c.Args().First())
	if _, ok := parseCycleID(ref); ok {
		return whyCycle(c, s, ref)
	}
	d, err := findDecision(c.Context, s, ref, rev.Main)
	if err != nil {
		return err
	}
	cl, err := readCycle(c.Context, s, d.Record.CycleID)
	if err != nil {
		return err
	}
	v, err := explainDecision(c.Context, s, stateCache{}, cl, d)
	if err != nil {
		return err
	}
	return renderWhy(c.App.Writer, s.render, v)
}

// errNoDecision is wrapped when REF names nothing decided.
var errNoDecision = errors.New("no recorded decision")

// errNoCycle is wrapped when the WAL holds no record of a cycle id.
var errNoCycle = errors.New("no records of this cycle")

// findDecision resolves REF to one decided record: a decision id, else
// the latest decision (at or before revision upTo, 0 = now) about a
// resource id, else about a group or resource name.
func findDecision(ctx context.Context, s *session, ref string, upTo uint64) (walEntry, error) {
	if cycle, ok := parseDecisionID(ref); ok {
		cl, err := readCycle(ctx, s, cycle)
		if err != nil {
			return walEntry{}, err
		}
		for _, e := range cl.decided() {
			if e.Record.DecisionID == ref {
				return e, nil
			}
		}
		return walEntry{}, newCLIError("why "+ref, errNoDecision, "the cycle's records may have been compacted; 'ovi wal replay' lists what is kept")
	}
	byID, _, err := resourceRecords(ctx, s, transport.WALQuery{ResourceID: ref, Kinds: []wal.Kind{wal.KindDecided}, Consistency: s.consistency()})
	if err != nil {
		return walEntry{}, s.apiFailure("read the decisions about "+ref, err)
	}
	if e, ok := latestDecision(byID, upTo, func(wal.Record) bool { return true }); ok {
		return e, nil
	}
	resp, err := s.client.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindDecided}, Limit: 1000, Last: true, Consistency: s.consistency()})
	if err != nil {
		return walEntry{}, s.apiFailure("read the decisions", err)
	}
	byName := func(r wal.Record) bool { return r.Decided.Group == ref && r.ResourceID == "" }
	if e, ok := latestDecision(walEntries(resp.Records), upTo, byName); ok {
		return e, nil
	}
	return walEntry{}, newCLIError("why "+ref, errNoDecision,
		"give a decision id, a cycle id, a resource id or a group name as 'ovi wal replay' shows them")
}

// latestDecision is the last decided entry at or before upTo that match accepts.
func latestDecision(entries []walEntry, upTo uint64, match func(wal.Record) bool) (walEntry, bool) {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Record.Decided == nil || (upTo > 0 && e.Revision.Main > upTo) || !match(e.Record) {
			continue
		}
		return e, true
	}
	return walEntry{}, false
}

// whyCycle explains every decision of one cycle.
func whyCycle(c *cli.Context, s *session, id string) error {
	cl, err := readCycle(c.Context, s, id)
	if err != nil {
		return err
	}
	decided := cl.decided()
	switch {
	case len(cl.Records) == 0:
		return newCLIError("why "+id, errNoCycle, "check the id, or whether its records were compacted: 'ovi wal analyze --cycles' lists the cycles kept")
	case len(decided) == 0 && cl.Summary == nil:
		return newCLIError("why "+id, fmt.Errorf("%w in this cycle, and no summary: it has not finished", errNoDecision),
			"ask again once it ends")
	}
	views := make([]whyView, 0, len(decided))
	for _, d := range decided {
		v, err := explainDecision(c.Context, s, stateCache{}, cl, d)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	return renderWhyCycle(c.App.Writer, s.render, cl, views)
}
