package cluster

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

func (a *Agent) handleHealth(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Has("ready") {
		return a.handleReady(w, r)
	}
	out := transport.HealthResponse{Status: "ok", Node: a.cfg.NodeName}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// Status is this node's view of the Raft group.
func (a *Agent) Status() transport.StatusResponse {
	applied, _ := a.store.AppliedIndex()
	out := transport.StatusResponse{
		Node:         transport.NodeInfo{Name: a.cfg.NodeName, RaftAddr: a.raftAddr, HTTPAddr: a.httpAddr},
		Version:      a.cfg.Version,
		State:        a.raft.State().String(),
		Term:         a.raft.CurrentTerm(),
		LastIndex:    a.raft.LastIndex(),
		CommitIndex:  a.raft.CommitIndex(),
		AppliedIndex: applied,
		Peers:        a.raftPeers().Peers,
	}
	out.HasState = out.LastIndex > 0 || len(out.Peers) > 0
	if lc := a.raft.LastContact(); !lc.IsZero() {
		out.LastContact = &lc
	}
	if addr, id := a.raft.LeaderWithID(); id != "" {
		info := transport.NodeInfo{Name: string(id), RaftAddr: string(addr)}
		if m, ok := a.members.lookup(string(id)); ok {
			info.HTTPAddr = m.meta.HTTPAddr
		}
		out.Leader = &info
	}
	return out
}

func (a *Agent) handleStatus(w http.ResponseWriter, _ *http.Request) error {
	out := a.Status()
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// Members lists gossip members with their Raft role.
func (a *Agent) Members() []transport.Member {
	peers := map[string]transport.RaftPeer{}
	for _, p := range a.raftPeers().Peers {
		peers[p.ID] = p
	}
	lost := a.raft.State() != raft.Leader && leaderContactLost(a.raft.LastContact(), time.Now(), leaderSilence(a.cfg.Raft.Timeouts().Heartbeat))
	var out []transport.Member
	for _, m := range a.members.list() {
		mem := transport.Member{Name: m.meta.Name, GossipAddr: m.gossipAddr, RaftAddr: m.meta.RaftAddr,
			HTTPAddr: m.meta.HTTPAddr, Version: m.meta.Version, Status: m.status}
		if p, ok := peers[m.meta.Name]; ok {
			mem.Voter = p.Suffrage == transport.SuffrageVoter
			mem.RaftRole = "follower"
			if p.Leader {
				mem.RaftRole = "leader"
				mem = unreachedLeader(mem, lost)
			}
		}
		out = append(out, mem)
	}
	return out
}

// leaderSilence is how long a follower may go without hearing from the
// leader before Members stops showing it as "alive, leader": half the
// heartbeat timeout, five of the heartbeats Raft sends every
// HeartbeatTimeout/10. A follower campaigns only after a full heartbeat
// timeout (and a random part of another) without contact, so the row
// turns suspect before any election; gossip takes seconds to suspect a
// node killed with -9.
func leaderSilence(heartbeat time.Duration) time.Duration { return heartbeat / 2 }

// leaderContactLost reports whether the last contact with the leader is
// older than silence (never contacted: not lost, just unknown).
func leaderContactLost(last, now time.Time, silence time.Duration) bool {
	return !last.IsZero() && now.Sub(last) > silence
}

// unreachedLeader is the leader's row when this follower has lost
// contact with it: suspect (unless gossip already says worse) and role
// unknown.
func unreachedLeader(mem transport.Member, lost bool) transport.Member {
	if !lost {
		return mem
	}
	if mem.Status == transport.MemberAlive {
		mem.Status = transport.MemberSuspect
	}
	mem.RaftRole = "unknown"
	return mem
}

func (a *Agent) handleMembers(w http.ResponseWriter, _ *http.Request) error {
	out := transport.MembersResponse{Members: a.Members()}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

func (a *Agent) handleJoin(w http.ResponseWriter, r *http.Request) error {
	var in transport.JoinRequest
	if e := transport.DecodeBody(w, r, &in); e != nil {
		return e
	}
	if len(in.Addresses) == 0 {
		return transport.Errorf(transport.CodeBadRequest, "join: no addresses given")
	}
	n, err := a.Join(in.Addresses)
	if err != nil {
		return err
	}
	out := transport.JoinResponse{Joined: n}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

func (a *Agent) handleLeave(w http.ResponseWriter, _ *http.Request) error {
	out := transport.LeaveResponse{Node: a.cfg.NodeName}
	transport.WriteJSON(w, http.StatusOK, &out)
	go func() {
		if err := a.Leave(context.Background()); err != nil {
			a.logger.Warn("leave", "err", err)
		}
	}()
	return nil
}

// raftPeers reads the Raft configuration.
func (a *Agent) raftPeers() transport.RaftPeersResponse {
	f := a.raft.GetConfiguration()
	if f.Error() != nil {
		return transport.RaftPeersResponse{}
	}
	_, leader := a.raft.LeaderWithID()
	out := transport.RaftPeersResponse{Index: f.Index(), Peers: []transport.RaftPeer{}}
	for _, s := range f.Configuration().Servers {
		out.Peers = append(out.Peers, transport.RaftPeer{ID: string(s.ID), Address: string(s.Address),
			Suffrage: suffrage(s.Suffrage), Leader: s.ID == leader})
	}
	return out
}

func suffrage(s raft.ServerSuffrage) string {
	switch s {
	case raft.Voter:
		return transport.SuffrageVoter
	case raft.Nonvoter:
		return transport.SuffrageNonvoter
	}
	return transport.SuffrageStaging
}

func (a *Agent) handleRaftPeers(w http.ResponseWriter, _ *http.Request) error {
	out := a.raftPeers()
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

func (a *Agent) handleRemovePeer(w http.ResponseWriter, r *http.Request) error {
	var in transport.RemovePeerRequest
	if e := transport.DecodeBody(w, r, &in); e != nil {
		return e
	}
	out, err := a.RemovePeer(r.Context(), in)
	if err != nil {
		return err
	}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// RemovePeer removes a server (by ID or address) from the Raft
// configuration; on a follower the request is forwarded to the leader.
func (a *Agent) RemovePeer(ctx context.Context, in transport.RemovePeerRequest) (transport.RemovePeerResponse, error) {
	if a.raft.State() != raft.Leader {
		_, leader, err := a.leaderClient()
		if err != nil {
			return transport.RemovePeerResponse{}, err
		}
		return leader.RemovePeer(ctx, in)
	}
	for _, p := range a.raftPeers().Peers {
		if (in.ID != "" && p.ID == in.ID) || (in.ID == "" && in.Address != "" && p.Address == in.Address) {
			if err := a.raft.RemoveServer(raft.ServerID(p.ID), 0, membershipTimeout).Error(); err != nil {
				return transport.RemovePeerResponse{}, applyError(err)
			}
			a.logger.Info("removed raft peer on operator request", "id", p.ID)
			return transport.RemovePeerResponse{ID: p.ID}, nil
		}
	}
	return transport.RemovePeerResponse{}, transport.Errorf(transport.CodeNotFound, "no raft peer with id %q or address %q", in.ID, in.Address)
}

// handlePropose is the leader side of write forwarding. It never forwards
// again: a follower answers not_leader and the sender retries. The
// records are stamped with the sender's authenticated name and a time the
// leader accepts (stampForwarded), whatever they claimed.
func (a *Agent) handlePropose(w http.ResponseWriter, r *http.Request) error {
	var in transport.ProposeRequest
	if e := transport.DecodeBodyLimit(w, r, &in, maxProposeBody); e != nil {
		return e
	}
	if a.raft.State() != raft.Leader {
		return fmt.Errorf("%w: %s", ErrNotLeader, a.cfg.NodeName)
	}
	origin, err := a.forwardedBy(r, in.Records)
	if err != nil {
		return err
	}
	a.stampForwarded(in.Records, origin)
	rev, err := a.applyLocal(time.Time{}, in.Records)
	if err != nil {
		return err
	}
	transport.WriteRevision(w, rev)
	return nil
}

func (a *Agent) handleReadIndex(w http.ResponseWriter, r *http.Request) error {
	if a.raft.State() != raft.Leader {
		return transport.Errorf(transport.CodeNotLeader, "%s is not the leader", a.cfg.NodeName)
	}
	idx, err := a.leaderBatch.get(r.Context(), func(context.Context) (uint64, error) {
		res, err := a.leaderReadIndex()
		return res.Index, err
	})
	if err != nil {
		return err
	}
	out := transport.ReadIndexResponse{Index: idx, Term: a.raft.CurrentTerm()}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}
