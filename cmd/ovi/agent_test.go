package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
)

// parseAgentArgs runs agentConfig on args (after "agent").
func parseAgentArgs(t *testing.T, args ...string) (cluster.Config, error) {
	t.Helper()
	var cfg cluster.Config
	var cfgErr error
	app := &cli.App{Commands: []*cli.Command{{Name: "agent", Flags: agentFlags(), Action: func(c *cli.Context) error {
		cfg, cfgErr = agentConfig(c)
		return nil
	}}}}
	if err := app.Run(append([]string{"ovi", "agent"}, args...)); err != nil {
		t.Fatal(err)
	}
	return cfg, cfgErr
}

func TestAgentFlagsWinOverFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ovi.yaml")
	body := "node_name: from-file\ndata_dir: /tmp/file\nports: {http: 1000, raft: 1001, gossip: 1002}\ninterval: 10s\nretry_join: [127.0.0.1:1]\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseAgentArgs(t, "--config", p, "--node-name", "from-flag", "--http-port", "2000",
		"--interval", "1m", "--retry-join", "127.0.0.1:2", "--retry-join", "127.0.0.1:3", "--snapshot-threshold", "64")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeName != "from-flag" || cfg.DataDir != "/tmp/file" || cfg.Ports.HTTP != 2000 || cfg.Ports.Raft != 1001 ||
		cfg.Interval != time.Minute || len(cfg.RetryJoin) != 2 || cfg.SnapshotThreshold != 64 {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestAgentConfigErrorsAreOneLine(t *testing.T) {
	if _, err := parseAgentArgs(t, "--node-name", "x"); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Fatalf("missing data_dir: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte("data_dir: /x\nbootstrap_expekt: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := parseAgentArgs(t, "--config", p)
	if err == nil || !strings.Contains(err.Error(), "bootstrap_expekt") || !strings.Contains(err.Error(), "bad.yaml:2:1") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("unknown key: %v", err)
	}
}
