//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

// runOvi runs the CLI against node n and returns stdout, stderr and the
// exit code.
func runOvi(t *testing.T, bin string, n *clustertest.Node, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--address", "http://" + n.HTTPAddr(), "--no-color"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errb.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("ovi %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

// `ovi compact` through a follower: the dry run drops nothing, a script
// without --auto-approve is refused, the apply compacts every node alike,
// and a revision already compacted is a one-line error.
func TestCompactCommandThroughAFollower(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	f := clustertest.Followers(nodes, l)[0]
	ctx := clustertest.Context(t, 60*time.Second)
	for i := range 6 {
		if _, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: "k", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := runOvi(t, bin, f, "-o", "json", "compact", "--keep-revisions", "3", "--dry-run")
	var dry transport.CompactResponse
	if code != 0 || json.Unmarshal([]byte(out), &dry) != nil || dry.Revision != 0 || dry.Plan.Dropped.Versions == 0 {
		t.Fatalf("dry run: exit %d, %s\n%s", code, errOut, out)
	}
	if _, errOut, code = runOvi(t, bin, f, "compact", "--keep-revisions", "3"); code != 1 ||
		!strings.Contains(errOut, "there is no terminal to ask") {
		t.Fatalf("without --auto-approve: exit %d, %q", code, errOut)
	}
	out, errOut, code = runOvi(t, bin, f, "compact", "--revision", fmt.Sprint(dry.Plan.Revision), "--auto-approve")
	if code != 0 || !strings.Contains(out, "Compacted in revision ") {
		t.Fatalf("apply: exit %d, %s\n%s", code, errOut, out)
	}
	clustertest.WaitFor(t, "every node compacted alike", 10*time.Second, func() bool {
		for _, n := range nodes {
			st, err := n.Client.State(ctx, transport.StateQuery{Consistency: transport.Stale})
			if err != nil || st.Compacted != dry.Plan.Revision {
				return false
			}
		}
		return true
	})
	_, errOut, code = runOvi(t, bin, f, "compact", "--revision", "1", "--dry-run")
	if code != 1 || !strings.Contains(errOut, "is already compacted (history is kept from revision") || strings.Count(errOut, "\n") > 2 {
		t.Fatalf("already compacted: exit %d, %q", code, errOut)
	}
}
