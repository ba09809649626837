package cluster

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// serverHealthTimeout bounds the readiness call to one server.
const serverHealthTimeout = 3 * time.Second

// OperatorHealth asks every server of the Raft configuration for its
// readiness (this node answers for itself) and sums it up the way Consul's
// autopilot does: healthy when every server is alive in gossip, answers
// and is ready; the failure tolerance is how many healthy voters the
// cluster can lose and keep a quorum.
func (a *Agent) OperatorHealth(ctx context.Context) transport.OperatorHealthResponse {
	peers := a.raftPeers().Peers
	out := transport.OperatorHealthResponse{Healthy: len(peers) > 0, Servers: make([]transport.ServerHealth, len(peers))}
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Servers[i] = a.serverHealth(ctx, p)
		}()
	}
	wg.Wait()
	voters, healthyVoters := 0, 0
	for _, s := range out.Servers {
		out.Healthy = out.Healthy && s.Healthy
		if s.Leader {
			out.Leader = s.Name
		}
		if s.Voter {
			voters++
			if s.Healthy {
				healthyVoters++
			}
		}
	}
	out.FailureTolerance = max(0, healthyVoters-(voters/2+1))
	return out
}

// serverHealth is one server's line of OperatorHealth.
func (a *Agent) serverHealth(ctx context.Context, p transport.RaftPeer) transport.ServerHealth {
	s := transport.ServerHealth{Name: p.ID, Address: p.Address, Leader: p.Leader,
		Voter: p.Suffrage == transport.SuffrageVoter, SerfStatus: "unknown", LastContact: -1}
	m, known := a.members.lookup(p.ID)
	if known {
		s.SerfStatus, s.Version = m.status, m.meta.Version
	}
	var r transport.ReadyResponse
	switch {
	case p.ID == a.cfg.NodeName:
		r = a.Readiness(0)
	case !known || m.meta.HTTPAddr == "":
		s.Failing = []string{"unknown to gossip: no HTTP address"}
		return s
	default:
		cctx, cancel := context.WithTimeout(ctx, serverHealthTimeout)
		defer cancel()
		c, err := a.clients.get(m.meta.HTTPAddr)
		if err == nil {
			r, err = c.Ready(cctx, 0)
		}
		if err != nil {
			s.Failing = []string{"unreachable: " + err.Error()}
			return s
		}
	}
	s.LastContact, s.LastTerm, s.LastIndex, s.Applied = r.LastContactSeconds, r.Term, r.LastIndex, r.AppliedIndex
	for _, c := range r.Checks {
		if !c.OK {
			s.Failing = append(s.Failing, c.Name+": "+c.Detail)
		}
	}
	if s.SerfStatus != transport.MemberAlive {
		s.Failing = append(s.Failing, "gossip: "+s.SerfStatus)
	}
	s.Healthy = r.Ready && s.SerfStatus == transport.MemberAlive
	return s
}

func (a *Agent) handleOperatorHealth(w http.ResponseWriter, r *http.Request) error {
	out := a.OperatorHealth(r.Context())
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}
