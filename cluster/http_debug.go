package cluster

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/yairfalse/ovi/transport"
)

// PathPprof is the prefix of the Go runtime profiles (net/http/pprof):
// /debug/pprof/ (the index), /debug/pprof/profile?seconds=N (CPU),
// /debug/pprof/heap, /debug/pprof/allocs, /debug/pprof/goroutine,
// /debug/pprof/mutex, /debug/pprof/block, /debug/pprof/trace?seconds=N.
const PathPprof = "/debug/pprof/"

// mountPprof serves the runtime profiles to operators: the write token
// (acl.write_token), the operator's scope, is required on every path. A
// profile shows the process' memory (heap samples name the code that holds
// what) and a CPU profile costs the agent while it runs, so the endpoint is
// never open: without a configured write token it answers 403 whatever
// the request carries. The handlers are net/http/pprof's; nothing is
// registered on http.DefaultServeMux's behalf beyond what importing that
// package does, and no listener of Ovi serves DefaultServeMux.
func (a *Agent) mountPprof(mux *http.ServeMux) {
	mux.Handle(PathPprof, a.wrap("", scopeWrite, a.handlePprof))
}

// handlePprof dispatches one profile request (wrap has checked the token).
func (a *Agent) handlePprof(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.ACL.WriteToken == "" {
		return transport.Errorf(transport.CodeForbidden,
			"%s needs acl.write_token to be configured: the profiles are never served without an operator token", PathPprof)
	}
	switch name := strings.TrimPrefix(r.URL.Path, PathPprof); name {
	case "cmdline":
		pprof.Cmdline(w, r)
	case "profile":
		pprof.Profile(w, r)
	case "symbol":
		pprof.Symbol(w, r)
	case "trace":
		pprof.Trace(w, r)
	default:
		pprof.Index(w, r) // the index, and the named runtime profiles (heap, goroutine, ...)
	}
	return nil
}
