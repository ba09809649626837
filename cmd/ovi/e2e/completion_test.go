//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// The bash and zsh scripts ask the binary for words with
// --generate-bash-completion; urfave/cli reads that from os.Args, so only
// a real process shows what a shell gets.
func TestShellCompletionWords(t *testing.T) {
	bin := clustertest.Binary(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--generate-bash-completion"}, []string{"reconcile", "wal", "state", "completion"}},
		{[]string{"wal", "--generate-bash-completion"}, []string{"replay", "analyze"}},
		{[]string{"wal", "replay", "--res", "--generate-bash-completion"}, []string{"--resource-id"}},
		{[]string{"state", "-", "--generate-bash-completion"}, []string{"--revision", "--at"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, bin, tc.args...).Output()
		cancel()
		if err != nil {
			t.Fatalf("ovi %v: %v", tc.args, err)
		}
		words := strings.Fields(string(out))
		for _, w := range tc.want {
			if !slices.Contains(words, w) {
				t.Errorf("ovi %v: no %q among %q", tc.args, w, words)
			}
		}
	}
}
