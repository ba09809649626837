package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// getPprof fetches path from a with token (none when empty) and returns
// the status, the error code of a JSON error body, and the body.
func getPprof(t *testing.T, a *Agent, path, token string) (int, string, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	if resp.StatusCode >= 300 {
		var e transport.ErrorBody
		if json.Unmarshal(body, &e) == nil {
			code = e.Error.Code
		}
	}
	return resp.StatusCode, code, body
}

func TestPprofNeedsTheOperatorToken(t *testing.T) {
	a, _ := soloClient(t, func(c *Config) { c.ACL = ACLConfig{ReadToken: "r", WriteToken: "w"} })
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline", "/debug/pprof/profile?seconds=1"} {
		if st, code, _ := getPprof(t, a, path, ""); st != http.StatusUnauthorized || code != transport.CodeUnauthorized {
			t.Errorf("%s without a token: %d %q, want 401 unauthorized", path, st, code)
		}
		if st, code, _ := getPprof(t, a, path, "not-a-token"); st != http.StatusUnauthorized || code != transport.CodeUnauthorized {
			t.Errorf("%s with an unknown token: %d %q, want 401 unauthorized", path, st, code)
		}
		if st, code, _ := getPprof(t, a, path, "r"); st != http.StatusForbidden || code != transport.CodeForbidden {
			t.Errorf("%s with the read token: %d %q, want 403 forbidden", path, st, code)
		}
	}
	st, _, body := getPprof(t, a, "/debug/pprof/", "w")
	if st != http.StatusOK || !strings.Contains(string(body), "goroutine") || !strings.Contains(string(body), "heap") {
		t.Fatalf("index with the write token: %d %.200s", st, body)
	}
	st, _, body = getPprof(t, a, "/debug/pprof/goroutine?debug=1", "w")
	if st != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("goroutine profile with the write token: %d %.200s", st, body)
	}
	st, _, body = getPprof(t, a, "/debug/pprof/profile?seconds=1", "w")
	if st != http.StatusOK || !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		t.Fatalf("CPU profile with the write token: %d, want 200 and a gzipped profile, got %d bytes starting %q", st, len(body), body[:min(len(body), 8)])
	}
}

func TestPprofNeverOpenWithoutATokenConfigured(t *testing.T) {
	a, _ := soloClient(t, nil)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1", "/debug/pprof/trace?seconds=1"} {
		st, code, body := getPprof(t, a, path, "")
		if st != http.StatusForbidden || code != transport.CodeForbidden || !strings.Contains(string(body), "acl.write_token") {
			t.Errorf("%s on an agent without tokens: %d %q %s, want 403 naming acl.write_token", path, st, code, body)
		}
	}
}
