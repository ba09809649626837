package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
)

// daemonCommand is the seed's `ovi daemon --interval 30s`: a single-node
// agent (data in ./.ovi, the same node standalone commands use) that
// reconciles the given file every interval. For a cluster, run `ovi agent`
// on three hosts instead.
func daemonCommand() *cli.Command {
	return &cli.Command{
		Name:      "daemon",
		Usage:     "reconcile continuously on a single local node",
		UsageText: "ovi daemon [-f infrastructure.yaml] [--interval 30s] [--data-dir .ovi]",
		Description: `Runs a one-node Ovi agent that keeps the cloud matching the file: a cycle at
start, then every interval (±10% jitter), and at once when the file changes.
Its HTTP API listens on 127.0.0.1:7400, so every other command (state, wal
replay, reconcile --dry-run) talks to it. Stop it with Ctrl-C (SIGINT) or
SIGTERM.

Examples:
   ovi daemon --interval 30s
   ovi daemon -f prod.yaml --interval 5m --data-dir /var/lib/ovi-single`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Value: defaultInfrastructureFile, Usage: "the desired configuration"},
			&cli.DurationFlag{Name: "interval", Value: cluster.DefaultInterval, Usage: "time between reconcile cycles"},
			&cli.StringFlag{Name: "data-dir", Value: standaloneDefaultDir, Usage: "where the node keeps its WAL and state", EnvVars: []string{standaloneDirEnv}},
			&cli.IntFlag{Name: "http-port", Value: cluster.DefaultHTTPPort, Usage: "HTTP API port on 127.0.0.1"},
		},
		Action: daemonAction,
	}
}

func daemonAction(c *cli.Context) error {
	infra, err := filepath.Abs(c.String("file"))
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if _, err := os.Stat(infra); err != nil {
		return newCLIError("daemon", err, "give the desired configuration with -f FILE")
	}
	cfg, err := daemonConfig(c, infra)
	if err != nil {
		return err
	}
	logger, err := agentLogger(&cfg)
	if err != nil {
		return err
	}
	agent, err := startAgent(cfg, engine.AWSProviders("", logger), logger, true)
	if err != nil {
		return err
	}
	// Every reloadable key of the daemon comes from its flags: SIGHUP
	// re-applies the configuration it started with.
	runAgent(agent, logger, func() (cluster.Config, error) { return cfg, nil })
	return agent.Err()
}

// daemonConfig is the local node with the HTTP port from the flag,
// reconciling infra every interval.
func daemonConfig(c *cli.Context, infra string) (cluster.Config, error) {
	cfg, err := localNodeConfig(c.String("data-dir"), c.Int("http-port"))
	if err != nil {
		return cfg, err
	}
	cfg.Infrastructure, cfg.Interval = infra, c.Duration("interval")
	return cfg, cfg.Validate()
}
