package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// errNotAdoptable is wrapped when a resource named by id cannot be adopted.
var errNotAdoptable = errors.New("cannot be adopted; nothing was adopted")

// adoptDescription is ovi adopt --help's text.
const adoptDescription = `Adopts unmanaged resources (instances, security groups, EBS volumes) into a
desired unit of the configuration in force: a count group, or a named
resource. Select them by id, by tag (--filter tag:team=payments, all filters
must match; tag:KEY alone matches any value), or take every unmanaged
resource that matches the unit's spec (--matching NAME). --into NAME names
the unit for ids and filters; --kind says which unit when a name is used by
several kinds (ec2, security_group, ebs_volume).

A resource is adopted only when it matches the unit: once adopted, the next
reconcile would change nothing on it but tags (its size, state, rules,
shape, attachment are as the file says; so are its image, subnet and
security groups, or a group's name and VPC, which no reconcile can change),
and only while the unit has room: a group of count 3 with 2 live members
adopts one. The plan says, per resource, why it is adopted or which
attribute keeps it out.

Adoption writes exactly ovi:managed=true, ovi:group=NAME and
ovi:decision=<decision id> on each resource, and changes nothing else: no
tag is removed, a blessed resource stays blessed. Its decided, executing
and executed records are in the WAL (ovi why RESOURCE explains the decision).

With -f FILE the file is put in force and the resources adopted into it in
one step (a dry run plans with it and puts nothing in force): describe what
exists in the file, adopt it, and no cycle ever creates a duplicate.

The plan is shown first; --dry-run stops there (it needs only the read
token and writes nothing). On a terminal the apply asks for "yes"
(--auto-approve skips the question; scripts and -o json never ask), then
adopts at most what the plan showed. A resource named by id that cannot be
adopted fails the command before anything is tagged.

Examples:
   ovi adopt i-0abc123 --into web --dry-run
   ovi adopt --filter tag:team=payments --into web
   ovi adopt --matching prod-database --auto-approve
   ovi adopt -f infrastructure.yaml --matching legacy-admin`

// adoptCommand is `ovi adopt [ID...] (--into NAME | --matching NAME)`.
func adoptCommand() *cli.Command {
	return &cli.Command{
		Name:        "adopt",
		Usage:       "take over resources Ovi did not create: tag them into a group or as a named resource",
		UsageText:   "ovi adopt [-f FILE] (--into NAME [ID...] | --matching NAME) [--filter tag:KEY=VALUE]... [--kind TYPE] [--dry-run] [--auto-approve]",
		Description: adoptDescription,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"},
				Usage: "put this configuration in force and adopt into it, in one step (default: the one in force)"},
			&cli.StringFlag{Name: "into", Usage: "the group or named resource the resources join"},
			&cli.StringFlag{Name: "matching", Usage: "adopt every unmanaged resource that matches this group's or named resource's spec"},
			&cli.StringSliceFlag{Name: "filter", Usage: "only resources with this tag: tag:KEY=VALUE or tag:KEY (repeatable; all must match)"},
			&cli.StringFlag{Name: "kind", Usage: "the unit's type when its name is used by several kinds: ec2, security_group or ebs_volume"},
			&cli.BoolFlag{Name: "dry-run", Usage: "plan only: change nothing"},
			&cli.BoolFlag{Name: "auto-approve", Usage: "on a terminal, adopt without asking first"},
		}, outputFlags()...),
		Action: adoptAction,
	}
}

func adoptAction(c *cli.Context) error {
	req, err := adoptRequest(c)
	if err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	base, err := adoptBase(c, s)
	if err != nil {
		return err
	}
	base.Adopt = req
	dry := base
	dry.DryRun = true
	var plan []wal.Record
	err = s.client.Reconcile(c.Context, dry, func(rec wal.Record) error {
		if rec.Decided != nil {
			plan = append(plan, rec)
		}
		return nil
	})
	if err != nil {
		return s.apiFailure("adopt", err)
	}
	if c.Bool("dry-run") || !s.render.json() {
		if err := renderAdoptPlan(c.App.Writer, s.render, plan, c.Bool("dry-run")); err != nil || c.Bool("dry-run") {
			return err
		}
	}
	return applyAdoption(c, s, base, plan)
}

// adoptBase is the request without the adoption: with -f, the file (and,
// in table output, the line saying which configuration it replaces).
func adoptBase(c *cli.Context, s *session) (transport.ReconcileRequest, error) {
	if !c.IsSet("file") {
		return transport.ReconcileRequest{}, nil
	}
	applied, err := loadInfrastructure(c.String("file"))
	if err != nil {
		return transport.ReconcileRequest{}, err
	}
	req := transport.ReconcileRequest{Source: applied.Source, Digest: applied.Digest, Config: &applied.Config, DryRun: c.Bool("dry-run")}
	return req, printConfigChange(c, s, req)
}

// adoptRequest reads the command line into the request; every mistake is
// one line naming the flag.
func adoptRequest(c *cli.Context) (*transport.AdoptRequest, error) {
	into, matching := c.String("into"), c.String("matching")
	req := &transport.AdoptRequest{Into: into, IDs: c.Args().Slice(), Filters: c.StringSlice("filter"), Kind: c.String("kind")}
	switch {
	case into != "" && matching != "" && into != matching:
		return nil, newCLIError("--into and --matching", errors.New("name two different units; give one"), "e.g. ovi adopt --matching web")
	case matching != "":
		req.Into, req.Matching = matching, true
	case into == "":
		return nil, newCLIError("adopt", errors.New("no unit: say --into NAME (with ids or --filter) or --matching NAME"),
			"e.g. ovi adopt i-0abc123 --into web, or ovi adopt --matching web")
	case len(req.IDs) == 0 && len(req.Filters) == 0:
		return nil, newCLIError("adopt", errors.New("nothing selected: name resource ids or --filter tag:KEY=VALUE"),
			"or adopt every resource that matches with: ovi adopt --matching "+into)
	}
	for _, id := range req.IDs {
		if strings.HasPrefix(id, "-") {
			return nil, newCLIError("adopt", fmt.Errorf("%q looks like a flag after the ids", id), "flags go before the ids: ovi adopt --into NAME ID...")
		}
	}
	for _, f := range req.Filters {
		if _, err := reconcile.ParseTagFilter(f); err != nil {
			return nil, newCLIError("--filter "+strconv.Quote(f), errors.New("want tag:KEY=VALUE or tag:KEY"), "e.g. --filter tag:team=payments")
		}
	}
	if req.Kind != "" {
		if _, err := wal.ParseResourceKind(req.Kind); err != nil {
			return nil, newCLIError("--kind", fmt.Errorf("%q: want ec2, security_group or ebs_volume", req.Kind), "")
		}
	}
	return req, nil
}

// applyAdoption applies an approved plan: at most its adoptions, each
// shown as it happens, then the totals.
func applyAdoption(c *cli.Context, s *session, base transport.ReconcileRequest, plan []wal.Record) error {
	req := base.Adopt
	adopt, refusedIDs := adoptionsOf(plan, req.IDs)
	if len(refusedIDs) > 0 {
		return newCLIError("adopt "+strings.Join(refusedIDs, ", "), errNotAdoptable, "the plan above says why; adopt the others by naming only them")
	}
	if len(adopt) == 0 {
		if s.render.json() {
			return writeJSONLine(c.App.Writer, adoptDone{AdoptComplete: adoptCounts{}})
		}
		return nil
	}
	if wantsApproval(c, s) {
		question := fmt.Sprintf("Ovi will tag %s as its own. Do you want to adopt them?", plural(len(adopt), "resource"))
		ok, err := askYes(c.Context, c.App.Writer, c.App.Reader, question)
		if err != nil || !ok {
			return errors.Join(err, newCLIError("adopt", errApplyCancelled, "adopt without asking with --auto-approve"))
		}
	}
	req.Approved = adopt
	progress := newApplyProgress(c.App.Writer, s.render, nil)
	base.DryRun = false
	err := s.client.Reconcile(c.Context, base, func(rec wal.Record) error {
		if rec.Observed != nil {
			return nil
		}
		return progress.Record(rec)
	})
	if err != nil {
		return s.apiFailure("adopt", err)
	}
	done := adoptTotals(progress)
	if err := writeAdoptDone(c.App.Writer, s.render, done); err != nil {
		return err
	}
	if done.Failed > 0 || done.Adopted < len(adopt) {
		return newCLIError("adopt", fmt.Errorf("%w: %d of %d", errActionsFailed, len(adopt)-done.Adopted, len(adopt)),
			"see why with: ovi wal replay --type failed --since 1h")
	}
	return nil
}

// adoptionsOf lists the resources the plan adopts, and those of ids (the
// resources named by id) it refuses.
func adoptionsOf(plan []wal.Record, ids []string) (adopt, refused []string) {
	adopt = []string{}
	for _, rec := range plan {
		switch {
		case rec.Decided.Action == wal.ActionAdopt:
			adopt = append(adopt, rec.ResourceID)
		case slices.Contains(ids, rec.ResourceID):
			refused = append(refused, rec.ResourceID)
		}
	}
	return adopt, refused
}
