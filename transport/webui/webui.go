// Package webui is the read-only web timeline every agent serves at /ui/:
// the fleet at any revision, each resource's life and the WAL, drawn in
// the browser from the agent's own HTTP API (/v1/state, /v1/state/diff,
// /v1/state/history, /v1/wal, /v1/wal/follow). The assets are plain
// HTML, CSS and JavaScript modules embedded in the binary: no build step,
// nothing fetched from anywhere but the agent.
//
// The assets themselves carry no data and are served without a token; the
// pages ask for the read token when the API answers 401 and send it as the
// Authorization header of every API call. Every answer carries a strict
// Content-Security-Policy (scripts, styles and connections to this origin
// only, no inline script, no framing), X-Content-Type-Options: nosniff and
// frame denial; the scripts write every value from the cloud or a note as
// text (textContent), never as markup.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// Path is where the UI is mounted on the agent's HTTP listener.
const Path = "/ui/"

// ContentSecurityPolicy is sent with every UI answer: nothing but this
// origin's own files and API, no inline script or style, no plugins, no
// framing, no form posts, no <base> rewriting.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// Handler serves the UI under Path (GET and HEAD only) with the security
// headers; "/ui" redirects to "/ui/". Directories are not listed.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the web UI is read-only: use GET", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == strings.TrimSuffix(Path, "/") {
			http.Redirect(w, r, Path, http.StatusMovedPermanently)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Path)
		if name == "" {
			name = "index.html"
		}
		if !ok || !fs.ValidPath(name) || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if st, err := fs.Stat(assets, "assets/"+name); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		http.ServeFileFS(w, r, assets, "assets/"+name)
	})
}

// setSecurityHeaders sets the headers every UI answer carries.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
}
