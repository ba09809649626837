package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
)

// Standalone mode: with no agent answering at the default address, the
// commands that work on one node (reconcile, state, wal) run against an
// embedded single-node agent whose data lives in ./.ovi (OVI_LOCAL_DIR).
const (
	standaloneDirEnv     = "OVI_LOCAL_DIR"
	standaloneDefaultDir = ".ovi"
	standaloneProbe      = 300 * time.Millisecond
	standaloneStartLimit = 20 * time.Second
)

// standaloneCommands are the top-level commands that may run standalone.
func standaloneCommands() []string { return []string{"reconcile", "adopt", "state", "wal", "compact"} }

// isStandaloneCommand reports whether ctx runs a standalone command.
func isStandaloneCommand(ctx *cli.Context) bool {
	return ctx.Command != nil && slices.Contains(standaloneCommands(), ctx.Command.Name)
}

// embedded is a single-node agent started inside the CLI process.
type embedded struct {
	agent *cluster.Agent
	dir   string
}

// wantsStandalone reports whether the command should run against an
// embedded node: it is one of the standalone commands, the address was not
// chosen (no --address, no OVI_ADDR) and nothing listens at the default.
func wantsStandalone(c *cli.Context, g globalOptions) bool {
	if c.IsSet(flagAddress) || os.Getenv("OVI_ADDR") != "" || g.Address != defaultAddress {
		return false
	}
	if !slices.ContainsFunc(c.Lineage(), isStandaloneCommand) {
		return false
	}
	d := net.Dialer{Timeout: standaloneProbe}
	conn, err := d.DialContext(c.Context, "tcp", "127.0.0.1:7400")
	if err != nil {
		return true
	}
	_ = conn.Close()
	return false
}

// startEmbedded starts the embedded node in the local data dir and waits
// until it leads. Its logs go to DIR/agent.log, so the command's output
// stays clean.
func startEmbedded(ctx context.Context, stderr io.Writer) (*embedded, string, error) {
	dir := os.Getenv(standaloneDirEnv)
	if dir == "" {
		dir = standaloneDefaultDir
	}
	cfg, err := embeddedConfig(dir)
	if err != nil {
		return nil, "", err
	}
	_, _ = fmt.Fprintf(stderr, "ovi: no agent at %s; running standalone on an embedded node (data in %s)\n", defaultAddress, dir)
	agent, err := startAgent(cfg, engine.AWSProviders("", cfg.Logger), cfg.Logger, false)
	if err != nil {
		return nil, "", fmt.Errorf("standalone: %w", err)
	}
	e := &embedded{agent: agent, dir: dir}
	if err := e.waitLeader(ctx); err != nil {
		e.stop()
		return nil, "", err
	}
	return e, "http://" + agent.HTTPAddr(), nil
}

// embeddedConfig is a one-node cluster on free loopback ports, no
// continuous loop (only the commands' own runs).
func embeddedConfig(dir string) (cluster.Config, error) {
	cfg, err := localNodeConfig(dir, 0)
	if err != nil {
		return cfg, err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return cluster.Config{}, fmt.Errorf("standalone: log file: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logFile, nil))
	cfg.Version = version
	return cfg, cfg.Validate()
}

// localNodeConfig is the single node standalone commands and `ovi daemon`
// share: named "local", data in dir (created 0700), bootstrapping alone on
// loopback, Raft and gossip on free ports, HTTP on httpPort (0: a free one).
func localNodeConfig(dir string, httpPort int) (cluster.Config, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cluster.Config{}, fmt.Errorf("local node: data dir: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return cluster.Config{}, err
	}
	if httpPort == 0 {
		httpPort = ports[2]
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName, cfg.DataDir, cfg.BindAddr, cfg.BootstrapExpect = "local", dir, "127.0.0.1", 1
	cfg.Ports = cluster.Ports{HTTP: httpPort, Raft: ports[0], Gossip: ports[1]}
	return cfg, nil
}

// freePorts reserves n loopback ports by listening on :0 and closing.
func freePorts(n int) ([]int, error) {
	out := make([]int, 0, n)
	for range n {
		var lc net.ListenConfig
		ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("standalone: free port: %w", err)
		}
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
		_ = ln.Close()
	}
	return out, nil
}

// waitLeader polls until the node has elected itself.
func (e *embedded) waitLeader(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, standaloneStartLimit)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !e.agent.IsLeader() {
		select {
		case <-ctx.Done():
			return errors.New("standalone: the embedded node did not become leader; see " + filepath.Join(e.dir, "agent.log"))
		case <-t.C:
		}
	}
	return nil
}

// stop shuts the embedded node down.
func (e *embedded) stop() {
	if e == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = e.agent.Shutdown(ctx)
}
