package cluster

import (
	"net/http"

	"github.com/yairfalse/ovi/transport/webui"
)

// mountUI serves the read-only web UI (transport/webui) at /ui/ on the API
// listener. Its static files carry no data and need no token; the pages
// read through the API below, with the read token and consistency chosen
// in the browser. With TLS the same mutual-TLS listener serves it, so a
// browser needs an operator's client certificate (docs/operations.md).
func (a *Agent) mountUI(mux *http.ServeMux) {
	mux.Handle(webui.Path, webui.Handler())
}

// uiURL is the address an operator opens in a browser.
func (a *Agent) uiURL() string {
	scheme := "http"
	if a.tls != nil {
		scheme = "https"
	}
	return scheme + "://" + a.httpAddr + webui.Path
}
