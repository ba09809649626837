package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
)

// errNoRevisionAt is wrapped when nothing was recorded at or before --at.
var errNoRevisionAt = errors.New("no revision was recorded at or before that time")

// revisionAt maps a time expression to the last revision at or before it:
// the revision of the last audit record whose time is not after it (every
// entry that changes the state carries records; their times come from the
// proposer). It returns that revision and the instant the expression meant.
func revisionAt(c *cli.Context, s *session, expr string) (revision, time.Time, error) {
	t, err := parseTimeExpr(expr, s.render.now, s.render.location())
	if err != nil {
		return revision{}, t, newCLIError("--at", err, "")
	}
	q := transport.WALQuery{Until: t.Add(time.Nanosecond), Limit: 1, Last: true, Consistency: s.consistency()}
	resp, err := s.client.WAL(c.Context, q)
	if err != nil {
		return revision{}, t, s.apiFailure("find the revision at "+expr, err)
	}
	if len(resp.Records) == 0 {
		return revision{}, t, newCLIError(fmt.Sprintf("--at %q (%s)", expr, t.In(s.render.location()).Format(stateTimeLayout)),
			errNoRevisionAt, "'ovi wal replay --limit 1' shows the oldest record kept")
	}
	return revision{Main: resp.Records[0].Revision.Main}, t, nil
}
