package main

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// revision is an MVCC revision as the API reports it: Main is the Raft
// index, Sub the position of a record or key write inside that entry.
//
// One syntax everywhere: the CLI prints "42", or "42.1" for a later record
// of the same entry, and every --revision, --from and --to accepts exactly
// what it prints. The state is read per entry (an entry applies at once),
// so "42.1" reads the state after entry 42, as "42" does.
type revision struct {
	Main uint64 `json:"main"`
	Sub  uint32 `json:"sub"`
}

// String shows "42", or "42.1" for a later record of the same entry.
func (r revision) String() string {
	if r.Sub == 0 {
		return strconv.FormatUint(r.Main, 10)
	}
	return fmt.Sprintf("%d.%d", r.Main, r.Sub)
}

// compareRevisions orders revisions.
func compareRevisions(a, b revision) int {
	if c := cmp.Compare(a.Main, b.Main); c != 0 {
		return c
	}
	return cmp.Compare(a.Sub, b.Sub)
}

// errBadRevision is wrapped by every revision flag error.
var errBadRevision = errors.New("invalid revision")

// parseRevision reads a revision as the CLI prints it: "42" or "42.1".
// Revision 0 does not exist (the first entry is 1).
func parseRevision(s string) (revision, error) {
	s = strings.TrimSpace(s)
	mainPart, subPart, hasSub := strings.Cut(s, ".")
	m, err := strconv.ParseUint(mainPart, 10, 64)
	if err != nil || mainPart == "" || mainPart[0] == '+' {
		return revision{}, fmt.Errorf("%w: want N or N.S as 'ovi state history' and 'ovi wal replay' print it (e.g. 42 or 42.1)", errBadRevision)
	}
	var sub uint64
	if hasSub {
		if sub, err = strconv.ParseUint(subPart, 10, 32); err != nil || subPart == "" || subPart[0] == '+' {
			return revision{}, fmt.Errorf("%w: the part after the dot must be a record number (e.g. 42.1)", errBadRevision)
		}
	}
	if m == 0 {
		return revision{}, fmt.Errorf("%w: revisions start at 1", errBadRevision)
	}
	return revision{Main: m, Sub: uint32(sub)}, nil
}

// revisionFlag reads the revision flag name; ok is false when it was not
// given.
func revisionFlag(c *cli.Context, name string) (revision, bool, error) {
	if !c.IsSet(name) {
		return revision{}, false, nil
	}
	raw := c.String(name)
	r, err := parseRevision(raw)
	if err != nil {
		return revision{}, false, newCLIError(fmt.Sprintf("--%s %q", name, raw), err, "")
	}
	return r, true, nil
}
