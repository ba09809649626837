package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// ErrExited is a process that ended while it was expected to run.
var ErrExited = errors.New("proc: process exited")

// Proc is one long-running process. Its output goes to NAME-N.log in
// LogDir (N counts the starts from 0); it can be stopped and started
// again. The zero value of every field but Name, Args and LogDir is a
// sensible default.
type Proc struct {
	Name   string   // for messages and log file names
	Args   []string // the command: Args[0] is the executable
	Env    []string // the environment; nil inherits this process's
	Dir    string   // the working directory; "" is this process's
	LogDir string
	// DieWithParent makes the kernel kill the process when this one
	// exits, however it exits (Linux only: elsewhere it is ignored).
	DieWithParent bool
	// LogViaPipe hands the process a pipe that this one copies into the
	// log, instead of the log file itself: a process whose file-size
	// limit (RLIMIT_FSIZE) a fault test lowers keeps logging.
	LogViaPipe bool

	starts  int
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	exitErr error
}

// Start launches the process (again, after it ended).
func (p *Proc) Start() error {
	if p.Running() {
		return fmt.Errorf("proc: start %s: already running", p.Name)
	}
	if len(p.Args) == 0 {
		return fmt.Errorf("proc: start %s: no command", p.Name)
	}
	logPath := filepath.Join(p.LogDir, fmt.Sprintf("%s-%d.log", p.Name, p.starts))
	p.starts++
	logf, err := os.Create(logPath) //nolint:gosec // the harness's own log directory
	if err != nil {
		return fmt.Errorf("proc: start %s: %w", p.Name, err)
	}
	cmd := exec.CommandContext(context.Background(), p.Args[0], p.Args[1:]...) //nolint:gosec // the harness's own processes; Stop ends them
	cmd.Env, cmd.Dir = p.Env, p.Dir
	cmd.Stdout = p.output(logf)
	cmd.Stderr = cmd.Stdout
	if p.DieWithParent {
		cmd.SysProcAttr = dieWithParent()
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("proc: start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.logPath = cmd, exited, logPath
	go func() {
		p.exitErr = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	return nil
}

// output is what the process writes its output to: the log file, or with
// LogViaPipe the file behind a plain io.Writer, for which exec makes a
// pipe and copies (Wait returns once the copy is done).
func (p *Proc) output(logf *os.File) io.Writer {
	if p.LogViaPipe {
		return struct{ io.Writer }{logf}
	}
	return logf
}

// Running reports whether the last start has not exited.
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

// Stop sends sig to the running process and waits for it to exit,
// killing it (SIGKILL) if it has not after grace. It does nothing if the
// process is not running.
func (p *Proc) Stop(sig syscall.Signal, grace time.Duration) {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Kill is kill -9 of the running process (its own pid only); it returns
// once the process is gone. It does nothing if it is not running.
func (p *Proc) Kill() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Signal sends sig to the running process without waiting.
func (p *Proc) Signal(sig syscall.Signal) error {
	if !p.Running() {
		return fmt.Errorf("proc: signal %s: %s is not running", sig, p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("proc: signal %s: %w", p.Name, err)
	}
	return nil
}
