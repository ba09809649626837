package cluster

import (
	"fmt"
	"net/http"

	"github.com/yairfalse/ovi/transport"
)

// scope is the token an endpoint needs (acl.read_token / acl.write_token).
type scope int

const (
	scopeOpen     scope = iota // no token
	scopeRead                  // read or write token
	scopeWrite                 // write token
	scopeInternal              // write token, and with TLS a node certificate (node-to-node calls)
)

// apiHandler is an endpoint; a returned error becomes the JSON error body.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// handler builds the HTTP API mux.
func (a *Agent) handler() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, s scope, h apiHandler) {
		mux.Handle(path, a.wrap(method, s, h))
	}
	route(http.MethodGet, transport.PathHealth, scopeOpen, a.handleHealth)
	route(http.MethodGet, transport.PathStatus, scopeRead, a.handleStatus)
	route(http.MethodGet, transport.PathMembers, scopeRead, a.handleMembers)
	route(http.MethodPost, transport.PathJoin, scopeWrite, a.handleJoin)
	route(http.MethodPost, transport.PathLeave, scopeWrite, a.handleLeave)
	route(http.MethodGet, transport.PathRaftPeers, scopeRead, a.handleRaftPeers)
	route(http.MethodGet, transport.PathOperatorHealth, scopeRead, a.handleOperatorHealth)
	route(http.MethodPost, transport.PathRemovePeer, scopeWrite, a.handleRemovePeer)
	route(http.MethodGet, transport.PathState, scopeRead, a.pinnedRead(a.handleState))
	route(http.MethodGet, transport.PathHistory, scopeRead, a.handleHistory)
	route(http.MethodGet, transport.PathDiff, scopeRead, a.pinnedRead(a.handleDiff))
	route(http.MethodGet, transport.PathWAL, scopeRead, a.pinnedRead(a.handleWAL))
	route(http.MethodGet, transport.PathFollow, scopeRead, a.pinnedRead(a.handleFollow))
	route(http.MethodPost, transport.PathNote, scopeWrite, a.handleNote)
	route(http.MethodPost, transport.PathCompact, scopeRead, a.handleCompact) // a commit needs the write token (handleCompact)
	route(http.MethodGet, transport.PathSnapshot, scopeRead, a.handleSnapshot)
	route(http.MethodPost, transport.PathRestore, scopeWrite, a.handleRestore)
	route(http.MethodPost, transport.PathReconcile, scopeRead, a.handleReconcile) // an apply needs the write token (handleReconcile)
	route(http.MethodPost, transport.PathPropose, scopeInternal, a.handlePropose)
	route(http.MethodPost, transport.PathProposeMany, scopeInternal, a.handleProposeBatch)
	route(http.MethodGet, transport.PathReadIndex, scopeInternal, a.handleReadIndex)
	route(http.MethodGet, transport.PathReads, scopeInternal, a.handleReads)
	route(http.MethodGet, transport.PathMetrics, scopeRead, a.handleMetrics)
	a.mountUI(mux)
	a.mountPprof(mux)
	mux.Handle("/", a.wrap("", scopeOpen, func(_ http.ResponseWriter, r *http.Request) error {
		return transport.Errorf(transport.CodeNotFound, "no endpoint %s", r.URL.Path)
	}))
	return mux
}

// wrap checks the method and token, recovers panics, and writes errors.
func (a *Agent) wrap(method string, s scope, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				a.logger.Error("http handler panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				transport.WriteError(w, transport.Errorf(transport.CodeInternal, "internal error"))
			}
		}()
		if method != "" && r.Method != method {
			w.Header().Set("Allow", method)
			transport.WriteError(w, transport.Errorf(transport.CodeMethod, "%s %s: use %s", r.Method, r.URL.Path, method))
			return
		}
		if e := a.authorize(r, s); e != nil {
			a.logger.Warn("api request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr,
				"code", e.Code, "reason", e.Message)
			transport.WriteError(w, e)
			return
		}
		if err := h(w, r); err != nil {
			transport.WriteError(w, toAPIError(err))
		}
	})
}
