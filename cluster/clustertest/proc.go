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
// shared process core (cluster/internal/proc: the fields Name, Args, Env,
// Dir and LogDir, and Running, Kill, Signal, ExitErr, Pid, LogPath, Log)
// with the test's failures and cleanup.
type Proc struct {
	proc.Proc

	t testing.TB
}

// NewProc prepares (does not start) the process args in t.
func NewProc(t testing.TB, name, logDir string, args ...string) *Proc {
	return &Proc{Proc: proc.Proc{Name: name, LogDir: logDir, Args: args}, t: t}
}

// Start launches the process (again, after a stop) with the current
// fields. The test's cleanup kills it (SIGKILL) and, if the test failed,
// logs the end of its log.
func (p *Proc) Start() {
	p.t.Helper()
	if err := p.Proc.Start(); err != nil {
		p.t.Fatal(err)
	}
	logPath := p.LogPath()
	p.t.Cleanup(func() {
		p.Kill()
		if p.t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				p.t.Logf("--- log of %s (%s, last 4000 bytes) ---\n%s", p.Name, logPath, Tail(string(b), 4000))
			}
		}
	})
}

// Stop sends sig to the running process and waits for it to exit
// (killing it after 20 s). It does nothing if the process is not running.
func (p *Proc) Stop(sig syscall.Signal) { p.Proc.Stop(sig, stopGrace) }
