package cluster

import (
	"errors"
	"fmt"

	"github.com/yairfalse/ovi/wal"
)

// walFormat is the WAL format the leader writes: the newest format every
// server of the Raft configuration reads, as its gossip meta says. A server
// that says nothing (the first release) or that gossip does not know yet
// reads format 1, so during a rolling upgrade no node is sent a record it
// cannot decode (it would skip it and silently diverge); once every server
// runs this release the leader writes the current format. See
// docs/operations.md, "Upgrades".
func (a *Agent) walFormat() byte {
	format := wal.FormatCurrent
	f := a.raft.GetConfiguration() // read on every proposal: no RaftPeersResponse built
	if f.Error() != nil {
		return wal.FormatV1
	}
	for _, s := range f.Configuration().Servers {
		m, ok := a.members.lookup(string(s.ID))
		if !ok || m.meta.WAL == 0 {
			return wal.FormatV1
		}
		format = min(format, m.meta.WAL)
	}
	return format
}

// encodeError is the answer to a batch that could not be encoded: a record
// the cluster's older nodes cannot read is refused loudly, with what to do.
func encodeError(err error) error {
	if errors.Is(err, wal.ErrNeedsFormat) {
		return fmt.Errorf("%w: %w: a node of the cluster runs an older release; upgrade every node before using it (docs/operations.md, Upgrades)", ErrInvalidProposal, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidProposal, err)
}
