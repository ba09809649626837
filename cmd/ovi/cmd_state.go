package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// State keys (the FSM's key scheme: see fsm/keys.go).
const (
	stateKeyConfig       = "config"
	stateResourcesPrefix = "resources/"
)

// stateCommand is `ovi state [--revision N] [--prefix P]` with the
// history and diff subcommands.
func stateCommand() *cli.Command {
	return &cli.Command{
		Name:      "state",
		Usage:     "show the resources and configuration at a revision (time travel)",
		UsageText: "ovi state [--revision REV | --at TIME] [--prefix P]\n   ovi state history ID\n   ovi state diff --from REV [--to REV]",
		Description: `A revision is written as the CLI prints it: 42, or 42.1 for a later record
of entry 42 (the state is read per entry, so 42.1 reads what 42 does).

Examples:
   ovi state                      # now
   ovi state --revision 42        # as it was at revision 42
   ovi state --at "2 hours ago"   # the last revision at or before that time
   ovi state --prefix resources/i-0a`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "revision", Usage: "the revision to read, e.g. 42 or 42.1", DefaultText: "current"},
			&cli.StringFlag{Name: "at", Usage: `the last revision at or before this time (e.g. "2 hours ago", yesterday, 15:04, RFC3339)`},
			&cli.StringFlag{Name: "prefix", Usage: "only keys starting with this (e.g. resources/i-0a)"},
		}, outputFlags()...),
		Action: stateAction,
		Subcommands: []*cli.Command{
			stateHistoryCommand(),
			stateDiffCommand(),
		},
	}
}

func stateAction(c *cli.Context) error {
	if c.Args().Present() {
		return newCLIError("state", errors.New("unexpected argument "+c.Args().First()),
			"see one resource's versions with 'ovi state history ID'")
	}
	rev, _, err := revisionFlag(c, "revision")
	if err != nil {
		return err
	}
	if c.IsSet("at") && c.IsSet("revision") {
		return newCLIError("--at and --revision", errors.New("give one or the other"), "")
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	var at *time.Time
	if c.IsSet("at") {
		var t time.Time
		if rev, t, err = revisionAt(c, s, c.String("at")); err != nil {
			return err
		}
		at = &t
	}
	q := transport.StateQuery{Revision: rev.Main, Prefix: c.String("prefix"), Consistency: s.consistency()}
	resp, err := s.client.State(c.Context, q)
	if err != nil {
		return s.apiFailure("read the state", err)
	}
	view := stateViewOf(resp)
	view.At = at
	if view.Config == nil && q.Prefix != "" {
		// The prefix left the configuration out: read it at the same revision.
		cfg, err := s.client.State(c.Context, transport.StateQuery{Revision: resp.Revision, Prefix: stateKeyConfig, Consistency: s.consistency()})
		if err != nil {
			return s.apiFailure("read the configuration", err)
		}
		view.Config = stateViewOf(cfg).Config
	}
	return renderState(c.App.Writer, s.render, view)
}

// stateViewOf picks the resources and the configuration out of the keys.
func stateViewOf(resp transport.StateResponse) stateView {
	v := stateView{Revision: resp.Revision, Time: resp.Time, Compacted: resp.Compacted, Resources: []wal.Resource{}}
	for _, kv := range resp.Entries {
		switch {
		case kv.Record == nil:
		case kv.Key == stateKeyConfig && kv.Record.Config != nil:
			cfg := *kv.Record.Config
			v.Config = &cfg
		case strings.HasPrefix(kv.Key, stateResourcesPrefix) && kv.Record.Observed != nil:
			v.Resources = append(v.Resources, kv.Record.Observed.Resource)
		}
	}
	return v
}

// stateKey turns a resource id into its key; a key (with a "/", or
// "config") is used as it is.
func stateKey(id string) string {
	if strings.Contains(id, "/") || id == stateKeyConfig {
		return id
	}
	return stateResourcesPrefix + id
}

func stateHistoryCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "every retained version of one resource (or key)",
		UsageText: "ovi state history ID|NAME",
		Description: `A NAME of the configuration (a named resource, or a count group) shows
the history of each of its members.

Examples:
   ovi state history i-0abc123
   ovi state history prod-database
   ovi state history config`,
		Flags:  outputFlags(),
		Action: stateHistoryAction,
	}
}

func stateHistoryAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return newCLIError("state history", errors.New("want exactly one resource id"), "e.g. ovi state history i-0abc123")
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	arg := strings.TrimSpace(c.Args().First())
	h, err := readHistory(c.Context, s, stateKey(arg))
	if err == nil && len(h.Versions) > 0 {
		return renderHistory(c.App.Writer, s.render, h)
	}
	// Not a resource id: a name of the configuration lists its members.
	members, merr := nameMembers(c.Context, s, arg)
	if merr != nil || len(members) == 0 {
		if err != nil {
			return s.apiFailure("read the history of "+stateKey(arg), err)
		}
		return renderHistory(c.App.Writer, s.render, h)
	}
	for _, id := range members {
		mh, err := readHistory(c.Context, s, stateKey(id))
		if err != nil {
			return s.apiFailure("read the history of "+stateKey(id), err)
		}
		if err := renderHistory(c.App.Writer, s.render, mh); err != nil {
			return err
		}
	}
	return nil
}

// readHistory reads every retained version of one key.
func readHistory(ctx context.Context, s *session, key string) (historyView, error) {
	resp, err := s.client.History(ctx, transport.HistoryQuery{Key: key, Consistency: s.consistency()})
	if err != nil {
		return historyView{}, err
	}
	h := historyView{Key: resp.Key, Versions: make([]historyVersion, 0, len(resp.Versions))}
	for _, kv := range resp.Versions {
		h.Versions = append(h.Versions, historyVersion{Revision: revision{Main: kv.ModRevision.Main, Sub: kv.ModRevision.Sub},
			Version: kv.Version, Deleted: kv.Deleted, Record: kv.Record})
	}
	return h, nil
}

func stateDiffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "what changed between two revisions",
		UsageText: "ovi state diff --from REV [--to REV]",
		Description: `Revisions as the CLI prints them (42 or 42.1: the state after entry 42).

Example:
   ovi state diff --from 12 --to 42`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "the older revision, e.g. 12 (required)"},
			&cli.StringFlag{Name: "to", Usage: "the newer revision", DefaultText: "current"},
		}, outputFlags()...),
		Action: stateDiffAction,
	}
}

func stateDiffAction(c *cli.Context) error {
	from, to, err := diffRange(c)
	if err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	q := transport.DiffQuery{From: from.Main, To: to.Main, Consistency: s.consistency()}
	resp, err := s.client.Diff(c.Context, q)
	if err != nil {
		return s.apiFailure("diff the state", err)
	}
	d := diffView{From: resp.From, To: resp.To, Changes: make([]keyChange, 0, len(resp.Changes))}
	for _, ch := range resp.Changes {
		d.Changes = append(d.Changes, keyChange{Key: ch.Key, Before: recordOf(ch.Before), After: recordOf(ch.After)})
	}
	return renderDiff(c.App.Writer, s.render, d)
}

// diffRange reads --from and --to: --from is required, and --to (when
// given) names a later entry.
func diffRange(c *cli.Context) (from, to revision, err error) {
	from, ok, err := revisionFlag(c, "from")
	if err != nil {
		return from, to, err
	}
	if !ok {
		return from, to, newCLIError("state diff", errors.New("--from is required"), "e.g. ovi state diff --from 12 --to 42")
	}
	to, ok, err = revisionFlag(c, "to")
	if err == nil && ok && to.Main <= from.Main {
		err = newCLIError(fmt.Sprintf("--to %s", to), fmt.Errorf("must be a later entry than --from %s", from),
			"the older revision goes in --from")
	}
	return from, to, err
}

// recordOf is the record a key holds, nil when absent or not a record.
func recordOf(kv *transport.KeyValue) *wal.Record {
	if kv == nil || kv.Deleted {
		return nil
	}
	return kv.Record
}
