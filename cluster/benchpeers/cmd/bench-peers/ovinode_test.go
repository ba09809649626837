package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cluster/benchpeers"
)

// ovinode reads the `ovi agent` flags the Ovi column passes, the write
// token from its --config file, and its own --control and --val-size.
func TestOviNodeReadsTheAgentFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acl.yaml")
	if err := os.WriteFile(file, []byte("acl:\n  write_token: \"tok\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, o, err := oviNodeConfig(strings.Fields("--control 127.0.0.1:9 --val-size 64 --node-name ovi-2 --data-dir /d/ovi-2 " +
		"--bind-addr 127.0.0.1 --http-port 1 --raft-port 2 --gossip-port 3 --bootstrap-expect 3 --log-level warn " +
		"--retry-join 127.0.0.1:3 --retry-join 127.0.0.1:6 --config " + file + " --raft-log-store boltdb"))
	if err != nil {
		t.Fatal(err)
	}
	if o.control != "127.0.0.1:9" || o.valSize != 64 {
		t.Errorf("options %+v", o)
	}
	if cfg.NodeName != "ovi-2" || cfg.DataDir != "/d/ovi-2" || cfg.Ports != (cluster.Ports{HTTP: 1, Raft: 2, Gossip: 3}) ||
		cfg.BootstrapExpect != 3 || !slices.Equal(cfg.RetryJoin, []string{"127.0.0.1:3", "127.0.0.1:6"}) ||
		cfg.Raft.LogStore != cluster.LogStoreBoltDB || cfg.ACL.WriteToken != "tok" || cfg.LogLevel != "warn" {
		t.Errorf("config %+v", cfg)
	}
	if _, _, err := oviNodeConfig([]string{"--raft-log-store", "sqlite"}); err == nil {
		t.Error("an unknown log store was accepted")
	}
}

// The in-leader columns are the Ovi agent run by ovinode, the load inside
// the leader.
func TestPickInLeaderColumns(t *testing.T) {
	systems, err := pick(options{ovi: "bin/ovi", systems: "ovi-wal-inleader,ovi-boltdb"}, "/x/bench-peers")
	if err != nil || len(systems) != 2 {
		t.Fatalf("pick: %v, %v", systems, err)
	}
	in, ok := systems[0].(*benchpeers.Ovi)
	if !ok || !in.InLeader || in.Self != "/x/bench-peers" || in.Name() != "ovi-wal-inleader" || !slices.Equal(in.Flags, []string{"--raft-log-store", "wal"}) {
		t.Errorf("ovi-wal-inleader: %+v", systems[0])
	}
	if out := systems[1].(*benchpeers.Ovi); out.InLeader || !slices.Equal(out.Flags, []string{"--raft-log-store", "boltdb"}) {
		t.Errorf("ovi-boltdb: %+v", out)
	}
}
