package cluster

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

// handleProposeBatch is the leader side of coalesced forwarding
// (transport.PathProposeMany): each proposal of the request is checked,
// stamped and applied as handlePropose does one — its own Raft entry and
// revision —, all of them concurrently, so that raft groups them into its
// appends as it groups concurrent requests. The answer holds one result
// per proposal, in order: a revision, or the error (code and message)
// handlePropose would have answered for it alone. The request as a whole
// fails only before any proposal is applied: a body that does not decode
// or is over the limit, no proposals or more than forwardBatchMax, or
// this node not the leader (the follower then retries each proposal).
func (a *Agent) handleProposeBatch(w http.ResponseWriter, r *http.Request) error {
	var in transport.ProposeBatchRequest
	if e := transport.DecodeBodyLimit(w, r, &in, maxProposeManyBody); e != nil {
		return e
	}
	if n := len(in.Proposals); n == 0 || n > forwardBatchMax {
		return fmt.Errorf("%w: a forwarded batch holds 1 to %d proposals, got %d", ErrInvalidProposal, forwardBatchMax, n)
	}
	if a.raft.State() != raft.Leader {
		return fmt.Errorf("%w: %s", ErrNotLeader, a.cfg.NodeName)
	}
	out := transport.ProposeBatchResponse{Results: make([]transport.ProposeResult, len(in.Proposals))}
	var wg sync.WaitGroup
	for i := range in.Proposals {
		recs := in.Proposals[i].Records
		origin, err := a.forwardedBy(r, recs)
		if err != nil {
			out.Results[i].Error = toAPIError(err)
			continue
		}
		a.stampForwarded(recs, origin)
		wg.Go(func() {
			rev, err := a.applyLocal(time.Time{}, recs)
			if err != nil {
				out.Results[i].Error = toAPIError(err)
				return
			}
			out.Results[i].Revision = rev
		})
	}
	wg.Wait()
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}
