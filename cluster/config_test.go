package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ovi.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigFullFile(t *testing.T) {
	p := writeConfig(t, `node_name: ovi-1
data_dir: /var/lib/ovi
bind_addr: 10.0.0.11
ports:
  http: 8400
  raft: 8401
  gossip: 8402
bootstrap_expect: 3
retry_join:
  - 10.0.0.11:7402
  - 10.0.0.12:7402
infrastructure: /etc/ovi/infrastructure.yaml
interval: 45s
snapshot_threshold: 100
trailing_logs: 50
tls: {ca_file: "", cert_file: "", key_file: ""}
acl: {read_token: r, write_token: w}
insecure_plaintext: true
`)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeName != "ovi-1" || cfg.Ports.Raft != 8401 || cfg.BootstrapExpect != 3 || len(cfg.RetryJoin) != 2 ||
		cfg.Interval != 45*time.Second || cfg.SnapshotThreshold != 100 || cfg.TrailingLogs != 50 || cfg.ACL.WriteToken != "w" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, "data_dir: /tmp/x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Ports != (Ports{HTTP: 7400, Raft: 7401, Gossip: 7402}) || cfg.Interval != DefaultInterval ||
		cfg.SnapshotThreshold != DefaultSnapshotThreshold || cfg.TrailingLogs != DefaultTrailingLogs || cfg.BindAddr != "127.0.0.1" {
		t.Fatalf("defaults = %+v", cfg)
	}
}

func TestLoadConfigUnknownKeyIsOneLineWithPosition(t *testing.T) {
	p := writeConfig(t, "data_dir: /tmp/x\nports:\n  http: 1\n  raftt: 2\n")
	_, err := LoadConfig(p)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	msg := err.Error()
	if !errors.Is(err, ErrConfig) || strings.Contains(msg, "\n") || !strings.Contains(msg, p+":4:3:") || !strings.Contains(msg, "raftt") {
		t.Fatalf("error = %q", msg)
	}
}

func TestLoadConfigBadInput(t *testing.T) {
	cases := map[string]string{
		"wrong type":   "data_dir: /x\nbootstrap_expect: three\n",
		"syntax":       "data_dir: [unclosed\n",
		"bad interval": "data_dir: /x\ninterval: soon\n",
	}
	for name, body := range cases {
		_, err := LoadConfig(writeConfig(t, body))
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "ovi.yaml:") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestValidate(t *testing.T) {
	base := DefaultConfig()
	base.DataDir = "/tmp/x"
	base.NodeName = "n1"
	cases := map[string]func(c *Config){
		"data_dir":         func(c *Config) { c.DataDir = "" },
		"node_name":        func(c *Config) { c.NodeName = "a b" },
		"bind_addr":        func(c *Config) { c.BindAddr = "localhost" },
		"advertise_addr":   func(c *Config) { c.BindAddr = "0.0.0.0" },
		"ports.raft":       func(c *Config) { c.Ports.Raft = 70000 },
		"bootstrap_expect": func(c *Config) { c.BootstrapExpect = -1 },
		"retry_join[0]":    func(c *Config) { c.RetryJoin = []string{"nohost"} },
		"gossip_key":       func(c *Config) { c.GossipKey = "short" },
		"log_level":        func(c *Config) { c.LogLevel = "loud" },
		"interval":         func(c *Config) { c.Interval = 0 },
		"tls.ca_file":      func(c *Config) { c.TLS.CAFile = "/nonexistent/ca.pem" },
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	for key, mutate := range cases {
		c := base
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v", key, err)
		}
	}
}
