package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
)

// agentCommand runs a long-lived Ovi node (`ovi agent --config FILE`).
func agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "run an Ovi node: Raft, gossip and the HTTP API",
		Description: "Every key of the YAML config file is also a flag; flags win.\n\n" +
			"Example:\n   ovi agent --config /etc/ovi/ovi.yaml\n" +
			"   ovi agent -dev     # one node, simulated EC2, example infrastructure.yaml\n" +
			"   ovi agent --node-name ovi-1 --data-dir /var/lib/ovi --bootstrap-expect 3 --retry-join 10.0.0.12:7402",
		Flags:  agentFlags(),
		Action: agentAction,
	}
}

func agentFlags() []cli.Flag {
	d := cluster.DefaultConfig()
	return append([]cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML configuration file"},
		&cli.BoolFlag{Name: "dev", Usage: "dev mode: a one-node cluster in a temporary data dir, an embedded EC2 simulator, and the example infrastructure.yaml"},
		&cli.StringFlag{Name: "node-name", Usage: "node name, unique in the cluster", DefaultText: "host name"},
		&cli.StringFlag{Name: "data-dir", Usage: "directory for the Raft log, snapshots and the state store (required)"},
		&cli.StringFlag{Name: "bind-addr", Usage: "IP address to listen on", DefaultText: d.BindAddr},
		&cli.StringFlag{Name: "advertise-addr", Usage: "IP address peers use to reach this node", DefaultText: "bind-addr"},
		&cli.IntFlag{Name: "http-port", Usage: "HTTP API port", DefaultText: fmt.Sprint(d.Ports.HTTP)},
		&cli.IntFlag{Name: "raft-port", Usage: "Raft port", DefaultText: fmt.Sprint(d.Ports.Raft)},
		&cli.IntFlag{Name: "gossip-port", Usage: "gossip port, TCP and UDP", DefaultText: fmt.Sprint(d.Ports.Gossip)},
		&cli.IntFlag{Name: "bootstrap-expect", Usage: "bootstrap the Raft group once this many servers are known", DefaultText: "0, never"},
		&cli.StringSliceFlag{Name: "retry-join", Usage: "gossip address host:port to join, retried until it succeeds (repeatable)"},
		&cli.StringFlag{Name: "infrastructure", Usage: "path of the desired infrastructure file"},
		&cli.DurationFlag{Name: "interval", Usage: "reconcile interval", DefaultText: d.Interval.String()},
		&cli.Uint64Flag{Name: "snapshot-threshold", Usage: "Raft entries between snapshots", DefaultText: fmt.Sprint(d.SnapshotThreshold)},
		&cli.DurationFlag{Name: "snapshot-interval", Usage: "how often Raft checks the snapshot threshold", DefaultText: d.SnapshotInterval.String()},
		&cli.Uint64Flag{Name: "trailing-logs", Usage: "Raft entries kept after a snapshot", DefaultText: fmt.Sprint(d.TrailingLogs)},
		&cli.DurationFlag{Name: "store-sync-interval", Usage: "how often the store is made durable (the Raft log holds every write; 0 fsyncs every commit)", DefaultText: d.StoreSyncInterval.String()},
		&cli.DurationFlag{Name: "store-commit-interval", Usage: "how long the store buffers applied entries before one write (reads write it first; 0 writes every apply)", DefaultText: d.StoreCommitInterval.String()},
		&cli.StringFlag{Name: "raft-log-store", Usage: "Raft log store: wal or boltdb (a data dir keeps the store it was created with)", DefaultText: "the data dir's; " + string(cluster.DefaultLogStore) + " when new"},
		&cli.DurationFlag{Name: "raft-heartbeat-timeout", Usage: "silence from the leader after which a follower calls an election", DefaultText: cluster.DefaultHeartbeatTimeout.String()},
		&cli.DurationFlag{Name: "raft-election-timeout", Usage: "how long a candidate waits for votes before trying again", DefaultText: "raft-heartbeat-timeout"},
		&cli.DurationFlag{Name: "raft-leader-lease-timeout", Usage: "how long a leader leads without hearing from a quorum", DefaultText: "raft-heartbeat-timeout"},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error", DefaultText: d.LogLevel},
		&cli.StringFlag{Name: "tls-ca-file", Usage: "cluster CA certificate (mutual TLS on Raft and the HTTP API; see 'ovi tls')"},
		&cli.StringFlag{Name: "tls-cert-file", Usage: "this node's certificate, naming its advertise address (mutual TLS)"},
		&cli.StringFlag{Name: "tls-key-file", Usage: "this node's private key (mutual TLS)"},
		&cli.BoolFlag{Name: "insecure-plaintext", Usage: "allow running without TLS on a non-loopback bind-addr (logged as a WARN)"},
		&cli.StringFlag{Name: "gossip-key", Usage: "base64 gossip encryption key (16, 24 or 32 bytes)"},
		&cli.StringFlag{Name: "acl-read-token", Usage: "API token for reads"},
		&cli.StringFlag{Name: "acl-write-token", Usage: "API token for writes and operator calls"},
		notifyFlag(),
	}, retentionFlags()...)
}

// agentConfig reads --config (if any), applies the flags that were set,
// and validates the result.
func agentConfig(c *cli.Context) (cluster.Config, error) {
	cfg, err := agentFileAndFlags(c)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// agentFileAndFlags reads --config (if any) and applies the flags that
// were set, without validating (dev mode fills in the rest first).
func agentFileAndFlags(c *cli.Context) (cluster.Config, error) {
	cfg := cluster.DefaultConfig()
	if path := c.String("config"); path != "" {
		loaded, err := cluster.LoadConfig(path)
		if err != nil {
			return cfg, err
		}
		cfg = loaded
	}
	applyStringFlags(c, &cfg)
	applyNumberFlags(c, &cfg)
	if err := applyRetentionFlags(c, &cfg.Retention); err != nil {
		return cfg, err
	}
	applyNotifyFlags(c, &cfg)
	if c.IsSet("insecure-plaintext") {
		cfg.InsecurePlaintext = c.Bool("insecure-plaintext")
	}
	applyRaftFlags(c, &cfg.Raft)
	return cfg, nil
}

// applyRaftFlags applies the --raft-* flags that were set.
func applyRaftFlags(c *cli.Context, r *cluster.RaftConfig) {
	if c.IsSet("raft-log-store") {
		r.LogStore = cluster.LogStoreKind(c.String("raft-log-store"))
	}
	durations := map[string]*time.Duration{"raft-heartbeat-timeout": &r.HeartbeatTimeout,
		"raft-election-timeout": &r.ElectionTimeout, "raft-leader-lease-timeout": &r.LeaderLeaseTimeout}
	for name, dst := range durations {
		if c.IsSet(name) {
			*dst = c.Duration(name)
		}
	}
}

func applyStringFlags(c *cli.Context, cfg *cluster.Config) {
	strs := map[string]*string{
		"node-name": &cfg.NodeName, "data-dir": &cfg.DataDir, "bind-addr": &cfg.BindAddr,
		"advertise-addr": &cfg.AdvertiseAddr, "infrastructure": &cfg.Infrastructure, "log-level": &cfg.LogLevel,
		"tls-ca-file": &cfg.TLS.CAFile, "tls-cert-file": &cfg.TLS.CertFile, "tls-key-file": &cfg.TLS.KeyFile,
		"gossip-key": &cfg.GossipKey, "acl-read-token": &cfg.ACL.ReadToken, "acl-write-token": &cfg.ACL.WriteToken,
	}
	for name, dst := range strs {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	if c.IsSet("retry-join") {
		cfg.RetryJoin = c.StringSlice("retry-join")
	}
}

func applyNumberFlags(c *cli.Context, cfg *cluster.Config) {
	ints := map[string]*int{"http-port": &cfg.Ports.HTTP, "raft-port": &cfg.Ports.Raft,
		"gossip-port": &cfg.Ports.Gossip, "bootstrap-expect": &cfg.BootstrapExpect}
	for name, dst := range ints {
		if c.IsSet(name) {
			*dst = c.Int(name)
		}
	}
	if c.IsSet("interval") {
		cfg.Interval = c.Duration("interval")
	}
	if c.IsSet("snapshot-interval") {
		cfg.SnapshotInterval = c.Duration("snapshot-interval")
	}
	if c.IsSet("snapshot-threshold") {
		cfg.SnapshotThreshold = c.Uint64("snapshot-threshold")
	}
	if c.IsSet("trailing-logs") {
		cfg.TrailingLogs = c.Uint64("trailing-logs")
	}
	if c.IsSet("store-sync-interval") {
		cfg.StoreSyncInterval = c.Duration("store-sync-interval")
	}
	if c.IsSet("store-commit-interval") {
		cfg.StoreCommitInterval = c.Duration("store-commit-interval")
	}
}

func agentAction(c *cli.Context) error {
	cfg, err := agentFileAndFlags(c)
	if err != nil {
		return err
	}
	logger, err := agentLogger(&cfg)
	if err != nil {
		return err
	}
	providers, reload := engine.AWSProviders("", logger), func() (cluster.Config, error) { return agentConfig(c) }
	if c.Bool("dev") {
		dev, err := startDev(c.Context, &cfg, logger)
		if err != nil {
			return err
		}
		defer dev.close()
		providers, reload = dev.providers(logger), dev.reloader(c)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	// Only a configuration that passed validation gets the GC policy and
	// its log line: bad input answers in exactly one line.
	cluster.ApplyGCPolicy(os.Getenv, logger)
	agent, err := startAgent(cfg, providers, logger, true)
	if err != nil {
		return err
	}
	runAgent(agent, logger, reload)
	return agent.Err()
}

// agentLogger sets up the agent's text logger on stderr at the configured
// level (reloadable with SIGHUP).
func agentLogger(cfg *cluster.Config) (*slog.Logger, error) {
	level, err := cluster.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	levelVar := new(slog.LevelVar)
	levelVar.Set(level)
	cfg.LogLevelVar = levelVar
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: levelVar}))
	cfg.Version = version
	return cfg.Logger, nil
}

// startAgent starts the node with its reconciler wired in, in the agent's
// two phases: open the agent, build the engine on it, start the agent
// hosting the engine. POST /v1/reconcile runs one cycle, and with
// continuous set the loop runs while the node leads (standalone CLI runs
// leave it off: they act only when asked).
func startAgent(cfg cluster.Config, providers engine.ProviderFactory, logger *slog.Logger, continuous bool) (*cluster.Agent, error) {
	offset, err := testClockOffset(os.Getenv, logger) // test-only; 0 unless OVI_TEST_CLOCK_OFFSET is set
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	cfg.ClockOffset = offset
	cfg.BootID = testBootID(os.Getenv, logger) // test-only; the kernel's unless OVI_TEST_BOOT_ID is set
	reg := prometheus.NewRegistry()
	cfg.Registry = reg
	agent, err := cluster.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	eng, err := engine.New(agent, engine.Options{Providers: providers, Logger: logger,
		Metrics: newAgentMetrics(reg, newCycleLog(logger)), Version: version, Continuous: continuous})
	if err == nil {
		err = agent.Start(eng)
	}
	if err != nil {
		_ = agent.Shutdown(context.Background())
		return nil, fmt.Errorf("agent: %w", err)
	}
	return agent, nil
}

// runAgent blocks until the agent stops: SIGTERM/SIGINT shut it down
// gracefully; SIGHUP applies the configuration reload builds (for `ovi
// agent`: the file and flags again, the way it started).
func runAgent(agent *cluster.Agent, logger *slog.Logger, reload func() (cluster.Config, error)) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for {
		select {
		case <-agent.Done():
			return
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				logger.Info("signal received, shutting down", "signal", sig.String())
				if err := agent.Shutdown(context.Background()); err != nil {
					logger.Warn("shutdown", "err", err)
				}
				return
			}
			cfg, err := reload()
			if err == nil {
				err = agent.Reload(cfg)
			}
			if err != nil {
				logger.Error("reload failed; keeping the running configuration", "err", err)
			}
		}
	}
}
