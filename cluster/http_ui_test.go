package cluster

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport/webui"
)

// uiGet fetches path from the agent's listener with an HTTP client using
// tlsCfg (nil: plain HTTP) and an optional bearer token.
func uiGet(t *testing.T, a *Agent, tlsCfg *tls.Config, path, token string) (*http.Response, string, error) {
	t.Helper()
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+a.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body), nil
}

// The UI's files are served without a token (they hold no data); what
// they read needs the read token, as for the CLI.
func TestUIServedOpenDataBehindToken(t *testing.T) {
	a, _ := soloClient(t, func(c *Config) { c.ACL = ACLConfig{ReadToken: "rt", WriteToken: "wt"} })
	resp, body, err := uiGet(t, a, nil, webui.Path, "")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(body, `src="js/app.js"`) ||
		resp.Header.Get("Content-Security-Policy") != webui.ContentSecurityPolicy {
		t.Fatalf("GET /ui/ = %v %v", resp, err)
	}
	if resp, _, _ := uiGet(t, a, nil, "/v1/state", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v1/state without a token = %d, want 401", resp.StatusCode)
	}
	if resp, _, _ := uiGet(t, a, nil, "/v1/state", "rt"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/state with the read token = %d, want 200", resp.StatusCode)
	}
	if !strings.HasSuffix(a.uiURL(), "/ui/") || !strings.HasPrefix(a.uiURL(), "http://") {
		t.Fatalf("ui url %s", a.uiURL())
	}
}

// With TLS the UI is on the same mutual-TLS listener: a browser gets in
// with an operator's client certificate, and not without one. A follower
// serves it too, and answers its reads itself.
func TestUIOverMutualTLSOnFollowerNeedsClientCertificate(t *testing.T) {
	pki := newTestPKI(t)
	f := followerOf(startTLSThree(t, pki, ACLConfig{ReadToken: "rt", WriteToken: "wt"}))
	op := pki.clientTLS(pki.issue("alice", true))
	resp, body, err := uiGet(t, f, op, webui.Path+"js/app.js", "")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(body, "import") ||
		resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET app.js on a follower with a client certificate = %v %v", resp, err)
	}
	resp, body, err = uiGet(t, f, op, "/v1/state?prefix=resources/&consistency=consistent", "rt")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(body, `"revision"`) {
		t.Fatalf("the UI's consistent read on a follower = %v %s %v", resp, body, err)
	}
	noCert := op.Clone()
	noCert.Certificates = nil
	if _, _, err := uiGet(t, f, noCert, webui.Path, ""); err == nil {
		t.Fatal("GET /ui/ without a client certificate succeeded")
	}
	if !strings.HasPrefix(f.uiURL(), "https://") {
		t.Fatalf("ui url %s, want https", f.uiURL())
	}
}
