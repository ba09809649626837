//go:build e2e

package clustertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Binary returns the ovi binary under test: $OVI_BIN (made absolute, and
// it must exist), or one built now into a temporary directory.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("OVI_BIN"); b != "" {
		abs, err := filepath.Abs(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("OVI_BIN: %v", err)
		}
		return abs
	}
	out := filepath.Join(t.TempDir(), "ovi")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", out, "github.com/yairfalse/ovi/cmd/ovi")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build ovi: %v\n%s", err, msg)
	}
	return out
}

// Context returns a context that ends after d or when the test ends.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// WaitFor polls cond until it holds, failing the test after d.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	WaitForSeen(t, what, d, func() (bool, string) { return cond(), "" })
}

// WaitForSeen polls cond until it holds, failing the test after d; cond
// also describes what it saw, for the failure message.
func WaitForSeen(t testing.TB, what string, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if saw == "" {
				t.Fatalf("timed out after %s waiting for %s", d, what)
			}
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", d, what, saw)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Tail returns the last n bytes of s (all of s if shorter).
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
