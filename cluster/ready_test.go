package cluster

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

func client(t *testing.T, a *Agent) *transport.Client {
	t.Helper()
	c, err := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReadinessAndOperatorHealth: three ready nodes are healthy with a
// failure tolerance of one; a node whose data_dir refuses writes answers
// 503 with the failing checks, and the cluster's health (asked on another
// node) names it and drops the tolerance to zero.
func TestReadinessAndOperatorHealth(t *testing.T) {
	agents := startThree(t)
	ctx := context.Background()
	for _, a := range agents {
		waitFor(t, a.cfg.NodeName+" ready", 10*time.Second, func() bool {
			r, err := client(t, a).Ready(ctx, 0)
			return err == nil && r.Ready && r.Leader != "" && len(r.Checks) == 4
		})
	}
	f := followerOf(agents)
	h, err := client(t, f).OperatorHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Healthy || h.FailureTolerance != 1 || len(h.Servers) != 3 || h.Leader != leaderOf(agents).cfg.NodeName {
		t.Fatalf("health of three ready nodes: %+v", h)
	}
	for _, s := range h.Servers {
		if !s.Healthy || !s.Voter || s.SerfStatus != transport.MemberAlive || s.LastIndex == 0 || s.Version != "test" {
			t.Fatalf("server %+v", s)
		}
	}

	sick := leaderOf(agents)
	if err := os.Mkdir(filepath.Join(sick.cfg.DataDir, readyProbeFile), 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := client(t, sick).Ready(ctx, 0)
	if err != nil || r.Ready || r.LastDiskError == nil {
		t.Fatalf("node with an unwritable data_dir: %+v, %v", r, err)
	}
	failing := map[string]bool{}
	for _, c := range r.Checks {
		failing[c.Name] = !c.OK
	}
	if !failing[transport.CheckStore] || !failing[transport.CheckDisk] || failing[transport.CheckLeader] || failing[transport.CheckCaughtUp] {
		t.Fatalf("checks %+v", r.Checks)
	}
	h, err = client(t, f).OperatorHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range h.Servers {
		if s.Name == sick.cfg.NodeName && (s.Healthy || len(s.Failing) == 0 || !strings.HasPrefix(s.Failing[0], "store: ")) {
			t.Fatalf("sick server %+v", s)
		}
	}
	if h.Healthy || h.FailureTolerance != 0 {
		t.Fatalf("health with one sick node: healthy %v, tolerance %d", h.Healthy, h.FailureTolerance)
	}
}

func TestReadyRejectsABadMaxLag(t *testing.T) {
	a := startAgent(t, testConfig(t, "solo", 1))
	waitFor(t, "leader", 10*time.Second, a.IsLeader)
	resp, err := http.Get("http://" + a.HTTPAddr() + "/v1/health?ready&max_lag=lots")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("max_lag=lots: status %d, want 400", resp.StatusCode)
	}
	if _, err := client(t, a).Ready(context.Background(), 0); err != nil {
		t.Fatalf("ready: %v", err)
	}
}
