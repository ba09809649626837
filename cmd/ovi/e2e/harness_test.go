//go:build e2e

// Package e2e plays what Ovi's users do, with real processes: the README's
// quick start on a fresh clone (readme_test.go), and the three-node story
// from deploy/ with the EC2 simulator beside it (story_test.go). The ovi
// binary comes from $OVI_BIN (make e2e builds it); without it the tests
// build one.
//
//	make build && OVI_BIN=$PWD/bin/ovi go test -tags e2e -count=1 ./cmd/ovi/e2e/
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// binary returns the ovi binary under test: $OVI_BIN, or one built now.
func binary(t testing.TB) string {
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
	cmd := exec.Command("go", "build", "-o", out, "github.com/yairfalse/ovi/cmd/ovi")
	cmd.Dir = repoRoot(t)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build ovi: %v\n%s", err, msg)
	}
	return out
}

// freePort reserves a port by listening on 127.0.0.1:0 and closing.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
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

// proc is a long-running process (an agent, the simulator) whose output
// goes to a log file, shown when the test fails.
type proc struct {
	t       testing.TB
	name    string
	args    []string
	env     []string
	dir     string
	logDir  string
	starts  int
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	exitErr error
}

// start launches the process (again, after a stop).
func (p *proc) start() {
	p.t.Helper()
	p.logPath = filepath.Join(p.logDir, fmt.Sprintf("%s-%d.log", p.name, p.starts))
	p.starts++
	logf, err := os.Create(p.logPath)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(p.args[0], p.args[1:]...)
	p.cmd.Env, p.cmd.Dir = p.env, p.dir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	exited := make(chan struct{})
	p.exited = exited
	cmd, logPath := p.cmd, p.logPath
	go func() {
		p.exitErr = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	p.t.Cleanup(func() {
		p.stop(syscall.SIGKILL)
		if p.t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				p.t.Logf("--- log of %s (%s, last 4000 bytes) ---\n%s", p.name, logPath, tail(string(b), 4000))
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// stop sends sig and waits for the process to exit (killing it after 20 s).
func (p *proc) stop(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil || !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *proc) running() bool {
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// waitFor polls cond every 50 ms until it holds, failing the test after d.
// cond returns a description of what it saw, for the failure message.
func waitFor(t testing.TB, what string, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", d, what, saw)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
