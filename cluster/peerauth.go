package cluster

import (
	"log/slog"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/yairfalse/ovi/transport"
)

// Listeners of the refusal metric.
const (
	listenerRaft = "raft"
	listenerHTTP = "http"
)

// Refusals are logged at most refusalLogRate per second (bursts of
// refusalLogBurst); every one is counted.
const (
	refusalLogRate  = 1
	refusalLogBurst = 10
)

// peerAuth is the agent's rule of who is a server of the cluster, for the
// Raft port (transport.RaftGuard) and the node-to-node HTTP endpoints: a
// server is in this node's Raft configuration (the latest, which on the
// leader includes one being added), or is a live gossip member (an Ovi
// server the leader adds as a voter; a new node learns its leader this
// way before it has any configuration). It counts and logs refusals.
type peerAuth struct {
	raft    atomic.Pointer[raft.Raft]
	members atomic.Pointer[membership]
	logger  *slog.Logger
	logs    *rate.Limiter

	refused   *prometheus.CounterVec // ovi_peer_refused_total{listener, reason}
	restamped prometheus.Counter     // ovi_records_restamped_total
}

// newPeerAuth registers ovi_peer_refused_total in reg, every series at 0.
func newPeerAuth(logger *slog.Logger, reg prometheus.Registerer) *peerAuth {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ovi_peer_refused_total",
		Help: "Connections and requests refused because the peer is not a server of this cluster (reasons: docs/operations.md).",
	}, []string{"listener", "reason"})
	restamped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ovi_records_restamped_total",
		Help: "Forwarded records whose time lay outside the leader's window and was replaced by the leader's clock.",
	})
	reg.MustRegister(refused, restamped)
	for _, r := range []string{transport.RefusedClientCert, transport.RefusedHandshake, transport.RefusedIdentity,
		transport.RefusedNotMember, transport.RefusedMalformed} {
		refused.WithLabelValues(listenerRaft, r)
	}
	for _, r := range []string{transport.RefusedClientCert, transport.RefusedNotMember} {
		refused.WithLabelValues(listenerHTTP, r)
	}
	return &peerAuth{logger: logger, logs: rate.NewLimiter(refusalLogRate, refusalLogBurst), refused: refused, restamped: restamped}
}

// RaftMember reports whether id at addr is a server: in the Raft
// configuration with that address, or a live member advertising it.
func (p *peerAuth) RaftMember(id, addr string) bool {
	if r := p.raft.Load(); r != nil {
		for _, s := range r.GetConfiguration().Configuration().Servers {
			if string(s.ID) == id && string(s.Address) == addr {
				return true
			}
		}
	}
	m, ok := p.liveMember(id)
	return ok && m.meta.RaftAddr == addr
}

// isMember reports whether name is a server (by name only: the HTTP
// endpoints identify a node by its certificate's name).
func (p *peerAuth) isMember(name string) bool {
	if r := p.raft.Load(); r != nil {
		for _, s := range r.GetConfiguration().Configuration().Servers {
			if string(s.ID) == name {
				return true
			}
		}
	}
	_, ok := p.liveMember(name)
	return ok
}

func (p *peerAuth) liveMember(name string) (member, bool) {
	ms := p.members.Load()
	if ms == nil {
		return member{}, false
	}
	m, ok := ms.lookup(name)
	return m, ok && m.status == transport.MemberAlive
}

// RaftRefused counts and logs a refusal on the Raft port.
func (p *peerAuth) RaftRefused(r transport.Refusal) {
	p.refused.WithLabelValues(listenerRaft, r.Reason).Inc()
	if p.logs.Allow() {
		p.logger.Warn("raft connection refused", "reason", r.Reason, "remote", r.Remote, "cert", r.Cert,
			"rpc", r.RPC, "claimed_id", r.ID, "claimed_addr", r.Addr, "detail", r.Detail)
	}
}

// httpRefused counts a refusal on a node-to-node HTTP endpoint (the
// request itself is logged by the API wrapper).
func (p *peerAuth) httpRefused(reason string) { p.refused.WithLabelValues(listenerHTTP, reason).Inc() }
