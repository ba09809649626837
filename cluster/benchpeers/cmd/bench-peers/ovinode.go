package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"strings"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cluster/benchpeers"
)

// joins is the repeatable --retry-join flag.
type joins []string

func (j *joins) String() string     { return strings.Join(*j, ",") }
func (j *joins) Set(v string) error { *j = append(*j, v); return nil }

// nodeOptions are the ovinode flags that are not the agent's.
type nodeOptions struct {
	control string
	valSize int
}

// oviNodeConfig reads the ovinode subcommand's flags: `ovi agent`'s own
// names for what the Ovi column sets, and --control.
func oviNodeConfig(args []string) (cluster.Config, nodeOptions, error) {
	fs := flag.NewFlagSet("ovinode", flag.ContinueOnError)
	var o nodeOptions
	fs.StringVar(&o.control, "control", "", "control API host:port (POST /load)")
	fs.IntVar(&o.valSize, "val-size", 256, "note bytes per write")
	file := fs.String("config", "", "agent configuration file (acl.write_token)")
	name, dir := fs.String("node-name", "", "node name"), fs.String("data-dir", "", "data dir")
	bind, level := fs.String("bind-addr", "127.0.0.1", "bind address"), fs.String("log-level", "warn", "log level")
	store := fs.String("raft-log-store", "", "wal or boltdb")
	var ports cluster.Ports
	fs.IntVar(&ports.HTTP, "http-port", 0, "HTTP port")
	fs.IntVar(&ports.Raft, "raft-port", 0, "Raft port")
	fs.IntVar(&ports.Gossip, "gossip-port", 0, "gossip port")
	expect := fs.Int("bootstrap-expect", 3, "servers to bootstrap with")
	var join joins
	fs.Var(&join, "retry-join", "gossip address to join (repeatable)")
	if err := fs.Parse(args); err != nil {
		return cluster.Config{}, o, err
	}
	cfg := cluster.DefaultConfig()
	if *file != "" {
		var err error
		if cfg, err = cluster.LoadConfig(*file); err != nil {
			return cluster.Config{}, o, err
		}
	}
	cfg.NodeName, cfg.DataDir, cfg.BindAddr, cfg.LogLevel = *name, *dir, *bind, *level
	cfg.Ports, cfg.BootstrapExpect, cfg.RetryJoin, cfg.Version = ports, *expect, join, "bench-peers"
	if *store != "" {
		kind, err := cluster.ParseLogStoreKind(*store)
		if err != nil {
			return cluster.Config{}, o, err
		}
		cfg.Raft.LogStore = kind
	}
	return cfg, o, nil
}

// oviNode runs one in-process Ovi agent and its control API until it is
// killed or interrupted.
func oviNode(ctx context.Context, args []string) error {
	cfg, o, err := oviNodeConfig(args)
	if err != nil {
		return err
	}
	level, err := cluster.ParseLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.Validate(); err != nil {
		return err
	}
	cluster.ApplyGCPolicy(os.Getenv, cfg.Logger) // as `ovi agent` does
	node, err := benchpeers.StartOviNode(cfg, o.valSize)
	if err != nil {
		return err
	}
	defer func() { _ = node.Close() }()
	return serveControl(ctx, o.control, node.Handler())
}
