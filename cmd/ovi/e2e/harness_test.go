//go:build e2e

// Package e2e plays what Ovi's users do, with real processes: the README's
// quick start on a fresh clone (readme_test.go), and the three-node story
// from deploy/ with the EC2 simulator beside it (story_test.go). Processes
// start and stop through cluster/clustertest. The ovi binary comes from
// $OVI_BIN (make e2e builds it); without it the tests build one.
//
//	make build && OVI_BIN=$PWD/bin/ovi go test -tags e2e -count=1 ./cmd/ovi/e2e/
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository this test file lives in.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", dir, err)
	}
	return dir
}

// hermeticEnv is the environment without any AWS_* or OVI_* variable of
// the machine running the test, plus extra.
func hermeticEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "OVI_") || strings.HasPrefix(kv, "NO_COLOR=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// simEnv is what every process talking to the simulator gets: static
// credentials (the simulator does not check them) and no instance
// metadata lookups.
func simEnv() []string {
	return hermeticEnv("AWS_ACCESS_KEY_ID=OVIE2EACCESSKEY", "AWS_SECRET_ACCESS_KEY=ovi-e2e-secret",
		"AWS_EC2_METADATA_DISABLED=true", "NO_COLOR=1")
}

// cliResult is one finished CLI run.
type cliResult struct {
	stdout, stderr string
	code           int
}

// ovi runs the CLI as o against the agent at addr (host:port, over https)
// and returns its output and exit code; err is set only when it could not
// run or timed out.
func ovi(o operator, addr string, args ...string) (cliResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := o.command(ctx, addr, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("ovi %s: timed out: %w", strings.Join(args, " "), ctx.Err())
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		return res, fmt.Errorf("ovi %s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// mustOvi runs the CLI as o and fails the test unless it exits 0.
func mustOvi(t testing.TB, o operator, addr string, args ...string) string {
	t.Helper()
	res, err := ovi(o, addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	if res.code != 0 {
		t.Fatalf("ovi --address https://%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", addr, strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// readFile returns a file's content, failing the test if it cannot.
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
