package cluster

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/yairfalse/ovi/transport"
)

// authorize checks a request against the scope its endpoint needs and
// returns the refusal, or nil:
//
//   - no Authorization bearer token → 401 unauthorized;
//   - a token that is neither acl.read_token nor acl.write_token → 401;
//   - the read token on a write endpoint → 403 forbidden;
//   - node-to-node endpoints (scopeInternal) additionally need, with TLS,
//     a node certificate whose name is a server of the cluster (see
//     peerAuth): an operator's client-only certificate, or a node
//     certificate of a name that is not a member → 403, counted in
//     ovi_peer_refused_total{listener="http"}.
//
// Tokens are compared in constant time (both, always). With no tokens
// configured every scope is open; with TLS every caller has already shown
// a certificate of the cluster CA. Messages never contain the token.
func (a *Agent) authorize(r *http.Request, s scope) *transport.APIError {
	if s == scopeOpen {
		return nil
	}
	if s == scopeInternal && a.tls != nil {
		if e := a.authorizeNode(r); e != nil {
			return e
		}
	}
	acl := a.cfg.ACL
	if acl.ReadToken == "" && acl.WriteToken == "" {
		return nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return transport.Errorf(transport.CodeUnauthorized, "%s needs an API token (Authorization: Bearer TOKEN)", r.URL.Path)
	}
	isWrite := tokenEqual(tok, acl.WriteToken)
	isRead := tokenEqual(tok, acl.ReadToken)
	switch {
	case isWrite:
		return nil
	case !isRead:
		return transport.Errorf(transport.CodeUnauthorized, "the API token given for %s is not valid", r.URL.Path)
	case s == scopeRead:
		return nil
	}
	return transport.Errorf(transport.CodeForbidden, "%s needs the write token; the token given has read scope only", r.URL.Path)
}

// tokenEqual compares a presented token with a configured one in constant
// time; an unset token matches nothing.
func tokenEqual(got, want string) bool {
	eq := subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
	return eq && want != ""
}

// authorizeNode requires, on a node-to-node endpoint, a node certificate
// whose name is a server of the cluster.
func (a *Agent) authorizeNode(r *http.Request) *transport.APIError {
	name, isNode := peerNode(r)
	switch {
	case !isNode:
		a.peers.httpRefused(transport.RefusedClientCert)
		return transport.Errorf(transport.CodeForbidden, "%s is for cluster nodes: it needs a node certificate, not a client certificate", r.URL.Path)
	case !a.peers.isMember(name):
		a.peers.httpRefused(transport.RefusedNotMember)
		return transport.Errorf(transport.CodeForbidden, "%s is for cluster nodes: the certificate's node %q is not a server of this cluster", r.URL.Path, name)
	}
	return nil
}

// peerNode returns the name of r's TLS client certificate (verified
// against the cluster CA) and whether it is a node certificate.
func peerNode(r *http.Request) (string, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "", false
	}
	leaf := r.TLS.VerifiedChains[0][0]
	return leaf.Subject.CommonName, transport.IsNodeCertificate(leaf)
}
