package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// Why a connection to the Raft port, or one RPC on it, was refused
// (Refusal.Reason, and the reason label of the agent's refusal metric).
const (
	// RefusedClientCert: the peer presented an operator's client-only
	// certificate (no server-auth usage): refused at the handshake.
	RefusedClientCert = "client_certificate"
	// RefusedHandshake: any other failed TLS handshake (no certificate,
	// another CA, expired, not TLS at all, too slow).
	RefusedHandshake = "handshake"
	// RefusedIdentity: an RPC claims a server ID other than the
	// certificate's name, or an address the certificate does not name, or
	// a leader/candidate address other than its header's.
	RefusedIdentity = "identity"
	// RefusedNotMember: the claimed server is neither in the Raft
	// configuration nor a live member being added.
	RefusedNotMember = "not_member"
	// RefusedMalformed: the bytes are not a Raft RPC this transport knows.
	RefusedMalformed = "malformed"
)

// ErrClientOnlyCert is the handshake error for a client-only certificate
// on a node-only listener.
var ErrClientOnlyCert = errors.New("transport: a node certificate (server-auth usage) is required; this is a client-only certificate")

// RaftGuard decides which authenticated peers may speak Raft to this
// node. The stream layer asks it about every RPC whose header names the
// certificate's own node, and tells it about every refusal.
type RaftGuard interface {
	// RaftMember reports whether server id at addr is a server of the
	// cluster: in this node's Raft configuration, or a live member the
	// leader is adding. It is called for every RPC: it must be cheap.
	RaftMember(id, addr string) bool
	// RaftRefused is told about each refused connection or RPC, after the
	// connection is dropped.
	RaftRefused(Refusal)
}

// Refusal describes one refused connection or RPC. Every field is
// printable and bounded (claimed values are cut to maxClaim bytes); none
// is secret.
type Refusal struct {
	Reason string // one of the Refused* constants
	Remote string // the peer's TCP address
	Cert   string // the certificate's common name ("" before a verified handshake)
	RPC    string // AppendEntries, RequestVote, ... ("" at the handshake)
	ID     string // the server ID the RPC claims
	Addr   string // the server address the RPC claims
	Detail string // what did not match, in words
}

// WithRaftGuard makes the stream layer check every Raft RPC an accepted
// connection carries before hashicorp/raft sees a byte of it (see
// rpcGate). It needs mutual TLS (WithMutualTLS): without a certificate
// there is no identity to check, and the option does nothing.
func WithRaftGuard(g RaftGuard) StreamOption {
	return func(s *TCPStreamLayer) { s.guard = g }
}

// nodeOnly returns a clone of the server configuration that also refuses,
// at the handshake, a verified certificate without server-auth usage:
// only nodes speak on the Raft port.
func nodeOnly(cfg *tls.Config) *tls.Config {
	out := cfg.Clone()
	out.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 || !IsNodeCertificate(cs.VerifiedChains[0][0]) {
			return ErrClientOnlyCert
		}
		return nil
	}
	return out
}

// peerCert is the verified leaf certificate of a completed handshake.
func peerCert(cs tls.ConnectionState) *x509.Certificate {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return nil
	}
	return cs.VerifiedChains[0][0]
}

// handshakeRefusal classifies a failed server-side handshake.
func handshakeRefusal(conn net.Conn, err error) Refusal {
	r := Refusal{Reason: RefusedHandshake, Remote: conn.RemoteAddr().String(), Detail: clip(err.Error())}
	if errors.Is(err, ErrClientOnlyCert) {
		r.Reason = RefusedClientCert
		if tc, ok := conn.(*tls.Conn); ok {
			if leaf := peerCertUnverified(tc); leaf != nil {
				r.Cert = clip(leaf.Subject.CommonName)
			}
		}
	}
	return r
}

// peerCertUnverified is the first certificate the peer sent (its chain
// verified against the CA; only its usage was wrong).
func peerCertUnverified(tc *tls.Conn) *x509.Certificate {
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	return cs.PeerCertificates[0]
}

// maxClaim bounds claimed values copied into a Refusal.
const maxClaim = 96

// clip bounds s and replaces anything but printable ASCII, so a claimed
// value cannot forge log lines.
func clip(s string) string {
	if len(s) > maxClaim {
		s = s[:maxClaim]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
