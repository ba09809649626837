//go:build e2e

package e2e

import (
	"path/filepath"
	"testing"
)

// TestDevInfrastructureIsTheExample: `ovi agent -dev` (and so `make demo`
// and the README quick start) reconciles the embedded
// cmd/ovi/devdata/infrastructure.yaml, which the README presents as
// deploy/config/infrastructure.yaml; they must be the same file.
func TestDevInfrastructureIsTheExample(t *testing.T) {
	root := repoRoot(t)
	dev := readFile(t, filepath.Join(root, "cmd", "ovi", "devdata", "infrastructure.yaml"))
	example := readFile(t, filepath.Join(root, "deploy", "config", "infrastructure.yaml"))
	if dev != example {
		t.Fatalf("cmd/ovi/devdata/infrastructure.yaml differs from deploy/config/infrastructure.yaml:\n%s\nvs\n%s", dev, example)
	}
}
