package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
)

// retentionFlags are the `retention:` keys of the agent configuration.
func retentionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "retention-history", Usage: "key history the leader keeps, e.g. 30d (s m h d w)", DefaultText: "all"},
		&cli.StringFlag{Name: "retention-audit", Usage: "audit records the leader keeps, at least retention-history, e.g. 365d", DefaultText: "all"},
		&cli.StringFlag{Name: "retention-interval", Usage: "how often the leader applies the retention", DefaultText: cluster.Span(cluster.DefaultRetentionInterval).String()},
		&cli.StringFlag{Name: "retention-read-grace", Usage: "how long a read in flight holds compaction back", DefaultText: cluster.Span(cluster.DefaultReadGrace).String()},
	}
}

// applyRetentionFlags sets the retention keys given as flags.
func applyRetentionFlags(c *cli.Context, r *cluster.RetentionConfig) error {
	for name, dst := range map[string]*cluster.Span{
		"retention-history": &r.History, "retention-audit": &r.Audit,
		"retention-interval": &r.Interval, "retention-read-grace": &r.ReadGrace,
	} {
		if !c.IsSet(name) {
			continue
		}
		d, err := cluster.ParseSpan(c.String(name))
		if err != nil {
			return newCLIError(fmt.Sprintf("--%s %q", name, c.String(name)), fmt.Errorf("%w: %w", errInvalidFlag, err), "")
		}
		*dst = cluster.Span(d)
	}
	return nil
}
