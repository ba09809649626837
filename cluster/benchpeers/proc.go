package benchpeers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// ErrExited is a process that ended while it was expected to run.
var ErrExited = errors.New("benchpeers: process exited")

// Proc is one server process of a measured system. Its output goes to
// name.log (a new file per start, numbered) in LogDir; it dies with the
// harness (parent-death signal) so an interrupted run leaves nothing behind.
type Proc struct {
	Name   string
	Args   []string // Args[0] is the executable
	LogDir string

	starts int
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// Start launches the process (again, after a kill).
func (p *Proc) Start() error {
	if p.Running() {
		return fmt.Errorf("benchpeers: start %s: already running", p.Name)
	}
	logPath := filepath.Join(p.LogDir, fmt.Sprintf("%s-%d.log", p.Name, p.starts))
	p.starts++
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("benchpeers: start %s: %w", p.Name, err)
	}
	cmd := exec.Command(p.Args[0], p.Args[1:]...) //nolint:gosec,noctx // the harness's own server processes; Kill ends them
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("benchpeers: start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go func() {
		p.err = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	return nil
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

// Kill is kill -9 of the running process (its own pid only); it returns
// once the process is gone. It does nothing if it is not running.
func (p *Proc) Kill() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Exited is closed when the last start ends.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Check returns ErrExited (with how it ended) if the process was started
// and is no longer running.
func (p *Proc) Check() error {
	if p.exited == nil || p.Running() {
		return nil
	}
	how := p.err
	if how == nil {
		how = errors.New("exit status 0")
	}
	return fmt.Errorf("%w: %s (%w); see its log in %s", ErrExited, p.Name, how, p.LogDir)
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("benchpeers: free port: %w", err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitFor polls cond every 10 ms until it holds, the context ends or the
// timeout passes.
func WaitFor(ctx context.Context, what string, timeout time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("benchpeers: waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
