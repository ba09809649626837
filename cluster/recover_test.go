package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLostQuorumRecoveryWithPeersJSON(t *testing.T) {
	agents := startThree(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rev, err := leaderOf(agents).Propose(ctx, []wal.Record{note("q", "before the loss")})
	if err != nil {
		t.Fatal(err)
	}
	survivor := agents[0]
	waitFor(t, "the survivor to apply the note", 10*time.Second, func() bool {
		applied, _ := survivor.store.AppliedIndex()
		return applied >= rev
	})
	cfg := survivor.cfg
	cfg.Ports = Ports{HTTP: portOf(t, survivor.HTTPAddr()), Raft: portOf(t, survivor.RaftAddr()), Gossip: portOf(t, survivor.GossipAddr())}
	for _, a := range agents {
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Two of three servers are gone for good: the survivor alone could never
	// elect itself. peers.json names it as the only server.
	peers := filepath.Join(cfg.DataDir, "raft", "peers.json")
	body := fmt.Sprintf(`[{"id": %q, "address": %q, "non_voter": false}]`, cfg.NodeName, survivor.RaftAddr())
	if err := os.WriteFile(peers, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := capture(&cfg)
	a := startAgent(t, cfg)
	waitFor(t, "the survivor to lead alone", 20*time.Second, func() bool {
		return a.IsLeader() && a.peerCount() == 1 && a.readyTerm.Load() != 0
	})
	kv, err := a.store.Get("notes/q", 0)
	if err != nil || kv.Version == 0 {
		t.Fatalf("the committed note is gone after recovery: %+v, %v", kv, err)
	}
	if _, err := a.Propose(ctx, []wal.Record{note("q", "after recovery")}); err != nil {
		t.Fatalf("propose after recovery: %v", err)
	}
	if _, err := os.Stat(peers); !os.IsNotExist(err) {
		t.Fatalf("peers.json still there: %v", err)
	}
	if _, err := os.Stat(peers + ".applied"); err != nil {
		t.Fatalf("peers.json.applied: %v", err)
	}
	if logs.count("LOST-QUORUM RECOVERY") < 2 || logs.count("level=WARN") == 0 {
		t.Fatalf("recovery not logged loudly:\n%s", logs)
	}
}

func TestBadPeersJSONStopsTheStart(t *testing.T) {
	cfg := testConfig(t, "bad-peers", 0)
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "raft"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, "raft", "peers.json"), []byte(`[{"id": "x"`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), "peers.json") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}
