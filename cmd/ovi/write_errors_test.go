package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// TestWriteFailuresReachTheCLIAsOneLine: a reconcile whose proposal fails
// the way the cluster's write path fails (the cluster's own errors, mapped
// by its HTTP layer, streamed to the CLI) exits 1 with one error line that
// carries the API code, and a hint that says what to do.
func TestWriteFailuresReachTheCLIAsOneLine(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code string
		hint string
	}{
		{"outcome unknown", fmt.Errorf("%w: leadership lost while committing log", cluster.ErrOutcomeUnknown),
			transport.CodeOutcomeUnknown, "may or may not have committed"},
		{"outcome unknown across the hop", fmt.Errorf("%w: forwarded to the leader at 127.0.0.1:7401: context deadline exceeded", cluster.ErrOutcomeUnknown),
			transport.CodeOutcomeUnknown, "may or may not have committed"},
		{"not leader", fmt.Errorf("%w: %w", cluster.ErrNotLeader, raft.ErrNotLeader), transport.CodeNotLeader, "nothing was written"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			ta := startTestAgent(t, func(context.Context, transport.ReconcileRequest, func(wal.Record)) error {
				return fmt.Errorf("reconcile: commit the executing intent: %w", tc.err)
			})
			code, stdout, stderr := ta.run("reconcile")
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != exitFailure || stdout != "" || len(lines) != 2 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1, nothing, an error line and a hint line", code, stdout, stderr)
			}
			want := "ovi: reconcile: " + tc.code + ": reconcile: commit the executing intent: " + tc.err.Error()
			if lines[0] != want {
				t.Errorf("error line %q\nwant       %q", lines[0], want)
			}
			if !strings.HasPrefix(lines[1], "hint: ") || !strings.Contains(lines[1], tc.hint) {
				t.Errorf("hint line %q, want one saying %q", lines[1], tc.hint)
			}
		})
	}
}
