package proc

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Exited is closed when the last start ends (nil before the first).
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// ExitErr is how the last start ended (nil while it runs or before it
// started; nil also for exit status 0).
func (p *Proc) ExitErr() error {
	if p.exited == nil || p.Running() {
		return nil
	}
	return p.exitErr
}

// ExitCode is the exit status of the last start, or -1 while it runs,
// before the first start, and when a signal ended it.
func (p *Proc) ExitCode() int {
	if p.exited == nil || p.Running() {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// KilledBy reports whether the last start ended by signal sig.
func (p *Proc) KilledBy(sig syscall.Signal) bool {
	if p.exited == nil || p.Running() || p.cmd.ProcessState == nil {
		return false
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// Check returns ErrExited (with how it ended and where its log is) if the
// process was started and is no longer running.
func (p *Proc) Check() error {
	if p.exited == nil || p.Running() {
		return nil
	}
	how := p.exitErr
	if how == nil {
		how = errors.New("exit status 0")
	}
	if last := lastLine(p.Log()); last != "" {
		return fmt.Errorf("%w: %s (%w); its log %s ends %q", ErrExited, p.Name, how, p.logPath, last)
	}
	return fmt.Errorf("%w: %s (%w); see its log %s", ErrExited, p.Name, how, p.logPath)
}

// maxLastLine bounds the log line an exit's error quotes.
const maxLastLine = 400

// lastLine is the last non-empty line of log, at most maxLastLine bytes
// (its end): a process that exited says why there, and the log itself
// may be gone by the time anyone reads the error (a temporary directory).
func lastLine(log string) string {
	log = strings.TrimRight(log, "\n ")
	line := log[strings.LastIndexByte(log, '\n')+1:]
	if len(line) > maxLastLine {
		line = line[len(line)-maxLastLine:]
	}
	return line
}

// Pid is the process id of the last start (0 before the first).
func (p *Proc) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// LogPath is the log file of the last start ("" before the first).
func (p *Proc) LogPath() string { return p.logPath }

// Log returns the log of the last start ("" if it cannot be read).
func (p *Proc) Log() string {
	if p.logPath == "" {
		return ""
	}
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	return string(b)
}
