package benchpeers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// startOviNodes starts three in-process OviNodes on kernel-chosen ports,
// the second and third joining the first.
func startOviNodes(t *testing.T) []*OviNode {
	t.Helper()
	var nodes []*OviNode
	for i, name := range []string{"ovi-1", "ovi-2", "ovi-3"} {
		cfg := cluster.DefaultConfig()
		cfg.NodeName, cfg.DataDir, cfg.Ports, cfg.BootstrapExpect = name, t.TempDir(), cluster.Ports{}, 3
		cfg.BindAddr, cfg.Version = "127.0.0.1", "test"
		cfg.Logger = slog.New(slog.DiscardHandler)
		if i > 0 {
			cfg.RetryJoin = []string{nodes[0].Agent.GossipAddr()}
		}
		n, err := StartOviNode(cfg, 64)
		if err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { _ = n.Close() })
		nodes = append(nodes, n)
	}
	return nodes
}

// The control API runs the load inside the leader's agent: every append
// commits a note of the configured size through Raft, and the answer is
// the load's Sample. Bad parameters are refused.
func TestOviNodeRunsTheLoadInsideTheLeader(t *testing.T) {
	nodes := startOviNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var leader *OviNode
	if err := WaitFor(ctx, "a leader of three", 30*time.Second, func() bool {
		for _, n := range nodes {
			if n.Agent.IsLeader() {
				leader = n
			}
		}
		return leader != nil
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(leader.Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/load?clients=4&total=40", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var s Sample
	err = json.NewDecoder(resp.Body).Decode(&s)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || s.OpsPerSec <= 0 || s.P50 <= 0 {
		t.Fatalf("POST /load: %s, %+v, %v; want the load's rate and latency", resp.Status, s, err)
	}
	c, err := transport.NewClient(leader.Agent.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindNote}})
	if err != nil || len(got.Records) != 40 {
		t.Fatalf("the WAL holds %d notes (%v), want the load's 40", len(got.Records), err)
	}
	if text := got.Records[0].Record.Note.Text; len(text) != 64 {
		t.Fatalf("a note of %d bytes, want 64", len(text))
	}
	bad, err := http.Post(srv.URL+"/load?clients=x", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST /load?clients=x: %s, want 400", bad.Status)
	}
}
