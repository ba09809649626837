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
//     a node certificate (an operator's client-only certificate → 403).
//
// Tokens are compared in constant time (both, always). With no tokens
// configured every scope is open; with TLS every caller has already shown
// a certificate of the cluster CA. Messages never contain the token.
func (a *Agent) authorize(r *http.Request, s scope) *transport.APIError {
	if s == scopeOpen {
		return nil
	}
	if s == scopeInternal && a.tls != nil && !fromNode(r) {
		return transport.Errorf(transport.CodeForbidden, "%s is for cluster nodes: it needs a node certificate, not a client certificate", r.URL.Path)
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

// fromNode reports whether the TLS client certificate of r, verified
// against the cluster CA, is a node certificate.
func fromNode(r *http.Request) bool {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return false
	}
	return transport.IsNodeCertificate(r.TLS.VerifiedChains[0][0])
}
