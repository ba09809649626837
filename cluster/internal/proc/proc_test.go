package proc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLog polls the log of p's last start until it contains want.
func waitLog(t *testing.T, p *Proc, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Log(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s's log %s never said %q: %q", p.Name, p.LogPath(), want, p.Log())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestKillRestartAndALogPerStart(t *testing.T) {
	dir := t.TempDir()
	p := &Proc{Name: "sleeper", LogDir: dir, DieWithParent: true,
		Args: []string{"/bin/sh", "-c", "echo started $FOO; exec sleep 600"}, Env: []string{"FOO=bar"}}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Start(); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("a second Start of a running process: %v", err)
	}
	waitLog(t, p, "started bar")
	first := p.Pid()
	if !p.Running() || p.Check() != nil || p.ExitErr() != nil || first == 0 {
		t.Fatalf("after start: running %v, check %v, exit %v, pid %d", p.Running(), p.Check(), p.ExitErr(), first)
	}
	if p.ExitCode() != -1 {
		t.Fatalf("ExitCode of a running process = %d, want -1", p.ExitCode())
	}
	p.Kill()
	if p.Running() || !errors.Is(p.Check(), ErrExited) || !strings.Contains(p.Check().Error(), "killed") ||
		!p.KilledBy(syscall.SIGKILL) || p.ExitErr() == nil || p.ExitCode() != -1 {
		t.Fatalf("after kill -9: running %v, check %v, exit %v (code %d)", p.Running(), p.Check(), p.ExitErr(), p.ExitCode())
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if !p.Running() || p.Pid() == first || p.LogPath() != filepath.Join(dir, "sleeper-1.log") {
		t.Fatalf("restart: running %v, pid %d (was %d), log %s", p.Running(), p.Pid(), first, p.LogPath())
	}
	if _, err := os.Stat(filepath.Join(dir, "sleeper-0.log")); err != nil {
		t.Fatalf("the first start's log is gone: %v", err)
	}
}

func TestCheckSeesAnEarlyExit(t *testing.T) {
	p := &Proc{Name: "quitter", LogDir: t.TempDir(), Args: []string{"/bin/sh", "-c", "echo starting; echo 'listen: address already in use' >&2; exit 3"}}
	if err := p.Check(); err != nil || p.ExitCode() != -1 {
		t.Fatalf("before Start: Check = %v, exit code %d", err, p.ExitCode())
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	err := p.Check()
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), p.LogPath()) ||
		!strings.HasSuffix(err.Error(), `ends "listen: address already in use"`) {
		t.Fatalf("Check = %v", err)
	}
	if p.ExitCode() != 3 {
		t.Fatalf("ExitCode = %d, want 3", p.ExitCode())
	}
	if p.KilledBy(syscall.SIGKILL) {
		t.Fatal("an exit counted as a kill")
	}
}

func TestStopSignalsThenKillsAfterGrace(t *testing.T) {
	dir := t.TempDir()
	polite := &Proc{Name: "polite", LogDir: dir, Args: []string{"/bin/sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done"}}
	stubborn := &Proc{Name: "stubborn", LogDir: dir, Args: []string{"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"}}
	for _, p := range []*Proc{polite, stubborn} {
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
		waitLog(t, p, "ready")
	}
	polite.Stop(syscall.SIGTERM, time.Minute)
	if polite.Running() || polite.ExitErr() != nil || !strings.Contains(polite.Log(), "bye") {
		t.Fatalf("polite after SIGTERM: running %v, exit %v, log %q", polite.Running(), polite.ExitErr(), polite.Log())
	}
	t0 := time.Now()
	stubborn.Stop(syscall.SIGTERM, 200*time.Millisecond)
	if stubborn.Running() || !stubborn.KilledBy(syscall.SIGKILL) || time.Since(t0) < 200*time.Millisecond {
		t.Fatalf("stubborn: running %v, killed %v after %v", stubborn.Running(), stubborn.KilledBy(syscall.SIGKILL), time.Since(t0))
	}
	stubborn.Stop(syscall.SIGTERM, time.Minute) // not running: returns at once
	if err := stubborn.Signal(syscall.SIGTERM); err == nil {
		t.Fatal("Signal to a process that is not running succeeded")
	}
}

func TestStartFailures(t *testing.T) {
	dir := t.TempDir()
	if err := (&Proc{Name: "none", LogDir: dir}).Start(); err == nil {
		t.Fatal("Start without a command succeeded")
	}
	missing := &Proc{Name: "missing", LogDir: dir, Args: []string{filepath.Join(dir, "no-such-binary")}}
	if err := missing.Start(); err == nil || missing.Running() {
		t.Fatalf("Start of a missing binary: %v, running %v", err, missing.Running())
	}
	if err := (&Proc{Name: "nolog", LogDir: filepath.Join(dir, "absent"), Args: []string{"/bin/true"}}).Start(); err == nil {
		t.Fatal("Start with a missing log directory succeeded")
	}
}

// TestLogViaPipeSurvivesAFileSizeLimit: a process whose RLIMIT_FSIZE is 0
// cannot write to its log file itself (EFBIG, SIGXFSZ), but writes to the
// pipe of LogViaPipe, which this process copies into the same file.
func TestLogViaPipeSurvivesAFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	args := []string{"/bin/sh", "-c", "ulimit -f 0; echo over the limit; echo and to stderr >&2"}
	direct := &Proc{Name: "direct", LogDir: dir, Args: args}
	piped := &Proc{Name: "piped", LogDir: dir, Args: args, LogViaPipe: true}
	for _, p := range []*Proc{direct, piped} {
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
		<-p.Exited()
	}
	if strings.Contains(direct.Log(), "over the limit") || direct.ExitCode() == 0 {
		t.Fatalf("writing its log file itself, a process at RLIMIT_FSIZE 0 logged %q and exited %d",
			direct.Log(), direct.ExitCode())
	}
	if got := piped.Log(); got != "over the limit\nand to stderr\n" || piped.ExitCode() != 0 {
		t.Fatalf("through the pipe: log %q, exit code %d (%v)", got, piped.ExitCode(), piped.ExitErr())
	}
}
