//go:build e2e

package clustertest

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/internal/proc"
)

// stopGrace is how long Stop waits after its signal before SIGKILL.
const stopGrace = 20 * time.Second

// Proc is a long-running process (an agent, the EC2 simulator) whose
// output goes to a log file in LogDir, one file per start, shown when the
// test fails. It can be stopped and started again. It is the harnesses'
// shared process core (cluster/internal/proc) with the test's failures.
type Proc struct {
	Name   string   // for messages and log file names
	Args   []string // the command: Args[0] is the executable
	Env    []string // the environment; nil inherits the test's
	Dir    string   // the working directory; "" is the test's
	LogDir string

	t    testing.TB
	core proc.Proc
}

// NewProc prepares (does not start) the process args in t.
func NewProc(t testing.TB, name, logDir string, args ...string) *Proc {
	return &Proc{t: t, Name: name, LogDir: logDir, Args: args}
}

// Start launches the process (again, after a stop) with the current
// fields. The test's cleanup kills it (SIGKILL) and, if the test failed,
// logs the end of its log.
func (p *Proc) Start() {
	p.t.Helper()
	p.core.Name, p.core.Args, p.core.Env, p.core.Dir, p.core.LogDir = p.Name, p.Args, p.Env, p.Dir, p.LogDir
	if err := p.core.Start(); err != nil {
		p.t.Fatal(err)
	}
	logPath := p.core.LogPath()
	p.t.Cleanup(func() {
		p.core.Kill()
		if p.t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				p.t.Logf("--- log of %s (%s, last 4000 bytes) ---\n%s", p.Name, logPath, Tail(string(b), 4000))
			}
		}
	})
}

// Stop sends sig to the running process and waits for it to exit
// (killing it after 20 s). It does nothing if the process is not running.
func (p *Proc) Stop(sig syscall.Signal) { p.core.Stop(sig, stopGrace) }

// Kill is kill -9 of the running process; it returns once it is gone.
func (p *Proc) Kill() { p.core.Kill() }

// Signal sends sig to the running process without waiting.
func (p *Proc) Signal(sig syscall.Signal) error { return p.core.Signal(sig) }

// Running reports whether the process has been started and not exited.
func (p *Proc) Running() bool { return p.core.Running() }

// ExitErr is how the last started process ended (nil while it runs).
func (p *Proc) ExitErr() error { return p.core.ExitErr() }

// Pid is the process id of the last start (0 before the first).
func (p *Proc) Pid() int { return p.core.Pid() }

// LogPath is the log file of the last start.
func (p *Proc) LogPath() string { return p.core.LogPath() }

// Log returns the log of the last start ("" if it cannot be read).
func (p *Proc) Log() string { return p.core.Log() }
