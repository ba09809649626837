package benchpeers

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/yairfalse/ovi/cluster/internal/proc"
)

// ErrExited is a process that ended while it was expected to run.
var ErrExited = proc.ErrExited

// Proc is one server process of a measured system (the harnesses' shared
// process core): its output goes to NAME-N.log in LogDir, one file per
// start.
type Proc = proc.Proc

// newProc prepares a server process that dies with the harness (parent
// death signal), so an interrupted run leaves nothing behind.
func newProc(name, logDir string, args []string) *Proc {
	return &Proc{Name: name, Args: args, LogDir: logDir, DieWithParent: true}
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
