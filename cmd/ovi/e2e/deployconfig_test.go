//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// TestDeployConfigsRefusePlaceholders: deploy/config/ovi-N.yaml ship
// "<…>" placeholders for the secrets. Started as shipped, `ovi agent`
// must refuse at once with one line that says which command creates the
// first missing secret — never run with a known key or token.
func TestDeployConfigsRefusePlaceholders(t *testing.T) {
	bin, root := clustertest.Binary(t), repoRoot(t)
	for i := 1; i <= 3; i++ {
		path := filepath.Join(root, "deploy", "config", fmt.Sprintf("ovi-%d.yaml", i))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, bin, "agent", "--config", path, "--data-dir", filepath.Join(t.TempDir(), "data"))
		cmd.Env = hermeticEnv("NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		var exit *exec.ExitError
		if timedOut || !errors.As(err, &exit) {
			t.Fatalf("%s as shipped: want a refusal at start, got %v\n%s", path, err, out)
		}
		msg := strings.TrimSpace(string(out))
		if strings.Contains(msg, "\n") || !strings.Contains(msg, "gossip_key is still a placeholder") ||
			!strings.Contains(msg, "'ovi keygen'") {
			t.Fatalf("%s as shipped: want one line naming gossip_key and ovi keygen, got:\n%s", path, msg)
		}
	}
}
