package benchpeers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProcKillRestartAndLogs(t *testing.T) {
	dir := t.TempDir()
	p := &Proc{Name: "sleeper", LogDir: dir, Args: []string{"/bin/sh", "-c", "echo started; exec sleep 600"}}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Start(); err == nil {
		t.Fatal("a second Start of a running process succeeded")
	}
	if err := WaitFor(context.Background(), "its log", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "sleeper-0.log"))
		return strings.Contains(string(b), "started")
	}); err != nil {
		t.Fatal(err)
	}
	if !p.Running() || p.Check() != nil {
		t.Fatal("not running after start")
	}
	p.Kill()
	if p.Running() || !errors.Is(p.Check(), ErrExited) || !strings.Contains(p.Check().Error(), "killed") {
		t.Fatalf("after kill -9: running %v, check %v", p.Running(), p.Check())
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if !p.Running() {
		t.Fatal("not running after restart")
	}
	if _, err := os.Stat(filepath.Join(dir, "sleeper-1.log")); err != nil {
		t.Fatalf("restart has no log of its own: %v", err)
	}
}

func TestProcCheckSeesAnEarlyExit(t *testing.T) {
	p := &Proc{Name: "quitter", LogDir: t.TempDir(), Args: []string{"/bin/sh", "-c", "exit 3"}}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if err := p.Check(); !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Check = %v", err)
	}
}

func TestWaitForDeadlineAndFreePort(t *testing.T) {
	err := WaitFor(context.Background(), "never", 50*time.Millisecond, func() bool { return false })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "never") {
		t.Fatalf("WaitFor = %v", err)
	}
	port, err := FreePort()
	if err != nil || port == 0 {
		t.Fatalf("FreePort = %d, %v", port, err)
	}
}
