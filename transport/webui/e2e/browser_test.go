//go:build e2e

// Package e2e drives the web UI (transport/webui) in a real browser:
// headless Chromium (Debian's chromium package; `make e2e` installs it)
// through chromedp, against a real `ovi agent -dev` with its simulated
// EC2.
//
//	make build && OVI_BIN=$PWD/bin/ovi go test -tags e2e -count=1 ./transport/webui/e2e/
//
// With OVI_UI_SCREENSHOTS=DIR the test also saves PNG screenshots of the
// three pages there (docs/ui/ holds the ones the README shows).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// browser is one headless Chromium tab and what it did: every request the
// page sent, and every script exception or console error it raised.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	requests []request
	problems []string
}

// request is one request the page sent.
type request struct {
	URL     string
	Headers map[string]string
}

// newBrowser starts Chromium with a fresh profile and no background
// traffic of its own, and records the page's requests and errors.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (Debian's chromium package; `make e2e` installs it): %v", err)
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Listen(ctx, b.record); err != nil { // starts the browser, without a timeout
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(tctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable the log domain: %v", err)
	}
	return b
}

// record keeps the events the test checks afterwards (it runs on the
// tab's reading goroutine: quick, no commands).
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		h := map[string]string{}
		for k, v := range e.Request.Headers {
			h[strings.ToLower(k)] = fmt.Sprint(v)
		}
		b.requests = append(b.requests, request{URL: e.Request.URL, Headers: h})
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			b.problems = append(b.problems, "console.error")
		}
	case *cdplog.EventEntryAdded:
		// Network entries are the 401s the token prompt answers; anything
		// else at error level (a CSP violation, a script error) is a defect.
		if e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
			b.problems = append(b.problems, fmt.Sprintf("log %s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	}
}

// run performs chromedp actions within 30 s, failing the test on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](b *browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// mustJS is evalJS failing the test on error.
func mustJS[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := evalJS[T](b, expr)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is true in the page.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	clustertest.WaitForSeen(b.t, what, 30*time.Second, func() (bool, string) {
		ok, err := evalJS[bool](b, "Boolean("+expr+")")
		if err != nil {
			return false, err.Error()
		}
		errText, _ := evalJS[string](b, `document.getElementById('error').hidden ? '' : document.getElementById('error').textContent`)
		return ok, "page error box: " + errText
	})
}

// goTo follows an in-page link: the fragment routes (#/fleet, #/resource/ID,
// #/wal?…) change without reloading the page.
func (b *browser) goTo(fragment string) {
	b.t.Helper()
	mustJS[string](b, "window.location.hash = "+jsString(fragment))
}

// screenshot saves the page as DIR/name.png when OVI_UI_SCREENSHOTS=DIR.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("OVI_UI_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// seen returns the page's requests and problems so far.
func (b *browser) seen() ([]request, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]request(nil), b.requests...), append([]string(nil), b.problems...)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
