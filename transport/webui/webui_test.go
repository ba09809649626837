package webui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestServesAssetsWithSecurityHeaders(t *testing.T) {
	cases := map[string]string{
		"/ui/":            "text/html",
		"/ui/app.css":     "text/css",
		"/ui/js/app.js":   "text/javascript",
		"/ui/js/dom.js":   "text/javascript",
		"/ui/favicon.svg": "image/svg+xml",
	}
	for path, ctype := range cases {
		resp := get(t, http.MethodGet, path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
		}
		want := map[string]string{"Content-Security-Policy": ContentSecurityPolicy, "X-Content-Type-Options": "nosniff",
			"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
	if !strings.Contains(ContentSecurityPolicy, "script-src 'self';") || strings.Contains(ContentSecurityPolicy, "unsafe") ||
		!strings.Contains(ContentSecurityPolicy, "frame-ancestors 'none'") || !strings.Contains(ContentSecurityPolicy, "connect-src 'self'") {
		t.Errorf("CSP is not strict: %s", ContentSecurityPolicy)
	}
}

func TestReadOnlyNoListingsNoEscape(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/ui/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/ui/app.css", http.StatusMethodNotAllowed},
		{http.MethodGet, "/ui/js/", http.StatusNotFound},
		{http.MethodGet, "/ui/nope.js", http.StatusNotFound},
		{http.MethodGet, "/ui/../webui.go", http.StatusNotFound},
		{http.MethodGet, "/ui", http.StatusMovedPermanently},
		{http.MethodHead, "/ui/js/api.js", http.StatusOK},
	} {
		resp := get(t, c.method, c.path)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: no CSP on the answer", c.method, c.path)
		}
	}
}

// The pages hold no inline script or style, load nothing from elsewhere,
// and never parse data as markup.
func TestAssetsAreSelfContained(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|\bimport\(|https?://|\burl\(\s*["']?[a-z]*:`)
	markup := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setAttribute\(['"]on|\.style\s*=|setAttribute\(['"]style`)
	inlineScript := regexp.MustCompile(`<script[^>]*>\s*[^<\s]`)
	inlineAttr := regexp.MustCompile(`(?i)\s(on[a-z]+|style)\s*=`)
	total := 0
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		if err != nil {
			return err
		}
		total += len(b)
		s := strings.ReplaceAll(string(b), `xmlns="http://www.w3.org/2000/svg"`, "") // a name, not a fetch
		if m := external.FindString(s); m != "" {
			t.Errorf("%s refers outside the agent: %q", path, m)
		}
		if strings.HasSuffix(path, ".js") {
			if m := markup.FindString(s); m != "" {
				t.Errorf("%s writes markup or code from strings: %q", path, m)
			}
		}
		if strings.HasSuffix(path, ".html") {
			if m := inlineScript.FindString(s); m != "" {
				t.Errorf("%s has an inline script: %q", path, m)
			}
			if m := inlineAttr.FindString(s); m != "" {
				t.Errorf("%s has an inline handler or style: %q", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > 64<<10 {
		t.Errorf("the UI is %d bytes; docs/operations.md promises under 64 KiB", total)
	}
}

// Every module index.html and the modules import exists.
func TestModulesResolve(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="([^"#:]+)"|from '\./([^']+)'`)
	for _, name := range []string{"index.html", "js/app.js", "js/fleet.js", "js/resource.js", "js/wal.js", "js/api.js", "js/records.js", "js/dom.js"} {
		resp := get(t, http.MethodGet, "/ui/"+name)
		body, _ := io.ReadAll(resp.Body)
		for _, m := range ref.FindAllStringSubmatch(string(body), -1) {
			target := m[1]
			if target == "" {
				target = "js/" + m[2]
			}
			if r := get(t, http.MethodGet, "/ui/"+target); r.StatusCode != http.StatusOK {
				t.Errorf("%s refers to %s: %d", name, target, r.StatusCode)
			}
		}
	}
}
