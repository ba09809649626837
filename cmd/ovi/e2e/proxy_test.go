//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// holdProxy stands between the agents and the simulator (the endpoint in
// their infrastructure file). It forwards every EC2 call, except that once
// armed it holds the first RunInstances call until released: the leader
// has committed its intent (executing) and is inside the cloud call, which
// is where the story kills it. The held call is then forwarded anyway,
// as a call a crashed client had already sent would be by EC2.
type holdProxy struct {
	target string
	srv    *httptest.Server

	mu      sync.Mutex
	armed   bool
	held    chan struct{} // closed when a call is held
	release chan struct{} // closed to forward it
}

// startHoldProxy serves on 127.0.0.1 in front of target (a URL).
func startHoldProxy(t *testing.T, target string) *holdProxy {
	t.Helper()
	p := &holdProxy{target: target, held: make(chan struct{}), release: make(chan struct{})}
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() {
		p.releaseHeld()
		p.srv.Close()
	})
	return p
}

func (p *holdProxy) url() string { return p.srv.URL }

// arm makes the next RunInstances call wait for releaseHeld.
func (p *holdProxy) arm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = true
}

// releaseHeld lets a held call (and any later one) through.
func (p *holdProxy) releaseHeld() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.release:
	default:
		close(p.release)
	}
}

// holds reports whether this call is the one to hold, and marks it held.
func (p *holdProxy) holds(body []byte) bool {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "RunInstances" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.armed {
		return false
	}
	p.armed = false
	close(p.held)
	return true
}

func (p *holdProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if p.holds(body) {
		<-p.release
	}
	// Forward even if the caller is gone (WithoutCancel): the call was sent.
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
