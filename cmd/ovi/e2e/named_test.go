//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// TestNamedResourceAnswersByName: the seed README's `ovi wal analyze
// --resource-id "prod-database" --timeline` — a resource the file names
// is found by its name as well as by its cloud id, in the WAL replay, the
// timeline and the state history (a real agent and the simulator).
func TestNamedResourceAnswersByName(t *testing.T) {
	bin := clustertest.Binary(t)
	cloud := startSim(t, bin)
	infra := filepath.Join(t.TempDir(), "infrastructure.yaml")
	writeAtomic(t, infra, []byte(fmt.Sprintf(`version: v1
provider: aws
region: us-east-1
endpoint: %s
resources:
  - name: prod-database
    type: ec2
    count: 1
    size: m5.large
    tags: {role: database, ovi:blessed: true}
`, cloud.url)))
	n := clustertest.NewNode(t, bin, "named", "--bootstrap-expect", "1")
	n.Env = simEnv()
	cfgPath := filepath.Join(t.TempDir(), "ovi.yaml")
	writeNodeConfig(t, cfgPath, n.DataDir, "1h", infra)
	n.Flags = append(n.Flags, "--config", cfgPath)
	n.Start()
	waitForManaged(t, cloud, 1, 30*time.Second)
	ids, err := cloud.liveManaged(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0]
	var replay string
	clustertest.WaitForSeen(t, "the launch and the observation of prod-database in the WAL", 20*time.Second, func() (bool, string) {
		replay = cli(t, bin, n, "wal", "replay", "--resource-id", "prod-database")
		return strings.Contains(replay, id) && strings.Contains(replay, "Resource "+id+" found in cloud"), replay
	})
	timeline := cli(t, bin, n, "wal", "analyze", "--resource-id", "prod-database", "--timeline")
	if !strings.Contains(timeline, "prod-database") || strings.Contains(timeline, "No records") {
		t.Fatalf("timeline of prod-database:\n%s", timeline)
	}
	history := cli(t, bin, n, "state", "history", "prod-database")
	if !strings.Contains(history, "resources/"+id) {
		t.Fatalf("state history prod-database lists no member:\n%s", history)
	}
	if byID := cli(t, bin, n, "wal", "replay", "--resource-id", id); !strings.Contains(byID, "found in cloud") {
		t.Fatalf("replay by id:\n%s", byID)
	}
}

// cli runs the CLI against n (plain HTTP) and fails unless it exits 0.
func cli(t *testing.T, bin string, n *clustertest.Node, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--address", "http://" + n.HTTPAddr()}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ovi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
