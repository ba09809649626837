//go:build e2e

package clustertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long Stop waits after its signal before SIGKILL.
const stopGrace = 20 * time.Second

// Proc is a long-running process (an agent, the EC2 simulator) whose
// output goes to a log file in LogDir, one file per start, shown when the
// test fails. It can be stopped and started again.
type Proc struct {
	Name   string   // for messages and log file names
	Args   []string // the command: Args[0] is the executable
	Env    []string // the environment; nil inherits the test's
	Dir    string   // the working directory; "" is the test's
	LogDir string

	t       testing.TB
	starts  int
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	exitErr error
}

// NewProc prepares (does not start) the process args in t.
func NewProc(t testing.TB, name, logDir string, args ...string) *Proc {
	return &Proc{t: t, Name: name, LogDir: logDir, Args: args}
}

// Start launches the process (again, after a stop). The test's cleanup
// kills it (SIGKILL) and, if the test failed, logs the end of its log.
func (p *Proc) Start() {
	p.t.Helper()
	p.logPath = filepath.Join(p.LogDir, fmt.Sprintf("%s-%d.log", p.Name, p.starts))
	p.starts++
	logf, err := os.Create(p.logPath)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), p.Args[0], p.Args[1:]...)
	cmd.Env, cmd.Dir = p.Env, p.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go func() {
		p.exitErr = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	logPath := p.logPath
	p.t.Cleanup(func() {
		signalAndWait(cmd, exited, syscall.SIGKILL)
		if p.t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				p.t.Logf("--- log of %s (%s, last 4000 bytes) ---\n%s", p.Name, logPath, Tail(string(b), 4000))
			}
		}
	})
}

// signalAndWait sends sig to one started process and waits for it to exit
// (killing it after stopGrace).
func signalAndWait(cmd *exec.Cmd, exited <-chan struct{}, sig syscall.Signal) {
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(stopGrace):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Stop sends sig to the running process and waits for it to exit
// (killing it after 20 s). It does nothing if the process is not running.
func (p *Proc) Stop(sig syscall.Signal) {
	if !p.Running() {
		return
	}
	signalAndWait(p.cmd, p.exited, sig)
}

// Kill is kill -9 of the running process; it returns once it is gone.
func (p *Proc) Kill() { p.Stop(syscall.SIGKILL) }

// Signal sends sig to the running process without waiting.
func (p *Proc) Signal(sig syscall.Signal) error {
	if !p.Running() {
		return fmt.Errorf("signal %s: %s is not running", sig, p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.Name, err)
	}
	return nil
}

// Running reports whether the process has been started and not exited.
func (p *Proc) Running() bool {
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

// ExitErr is how the last started process ended (nil while it runs).
func (p *Proc) ExitErr() error {
	if p.exited == nil || p.Running() {
		return nil
	}
	return p.exitErr
}

// Pid is the process id of the last start (0 before the first).
func (p *Proc) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// LogPath is the log file of the last start.
func (p *Proc) LogPath() string { return p.logPath }

// Log returns the log of the last start ("" if it cannot be read).
func (p *Proc) Log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	return string(b)
}
