//go:build e2e

package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// TestForwardedWriteToAFrozenLeaderIsOutcomeUnknown: the leader is frozen
// (SIGSTOP: its kernel still accepts the follower's forwarded request, the
// process never answers) right before a note reaches a follower. The
// follower must not claim the write failed cleanly, nor retry it at the
// next leader: after its 10 s write deadline it answers outcome_unknown
// (500) on one line naming the leader it forwarded to. The cluster heals
// once the old leader runs again.
func TestForwardedWriteToAFrozenLeaderIsOutcomeUnknown(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	f := clustertest.Followers(nodes, l)[0]
	client, err := transport.NewClient(f.HTTPAddr(), transport.ClientOptions{Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := clustertest.Context(t, 90*time.Second)
	if _, err := client.Note(ctx, transport.NoteRequest{ResourceID: "hop", Text: "before"}); err != nil {
		t.Fatalf("a note through the follower: %v", err)
	}
	if err := l.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = l.Signal(syscall.SIGCONT)
		}
	}
	defer resume()
	start := time.Now()
	_, err = client.Note(ctx, transport.NoteRequest{ResourceID: "hop", Text: "in doubt"})
	took := time.Since(start)
	var apiErr *transport.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != transport.CodeOutcomeUnknown || apiErr.Status != http.StatusInternalServerError {
		t.Fatalf("a note forwarded to the frozen leader: %v (after %s), want outcome_unknown (500)", err, took.Round(time.Millisecond))
	}
	if strings.Contains(apiErr.Message, "\n") || !strings.Contains(apiErr.Message, "forwarded to the leader at "+l.HTTPAddr()) {
		t.Errorf("message %q: want one line naming the leader %s", apiErr.Message, l.HTTPAddr())
	}
	resume()
	clustertest.WaitFor(t, "a write through the follower after the leader resumed", 60*time.Second, func() bool {
		_, err := client.Note(ctx, transport.NoteRequest{ResourceID: "hop", Text: "after"})
		return err == nil
	})
}

// TestInternalProposeToAFollowerIsNotLeader: the leader side of the hop
// refuses on a follower (a sender that forwarded to a deposed leader):
// 503 not_leader, which the sender reads as ErrNotLeader and retries.
func TestInternalProposeToAFollowerIsNotLeader(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	f := clustertest.Followers(nodes, l)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := wal.Record{Kind: wal.KindNote, ResourceID: "hop", Time: time.Now().UTC(), Node: l.Name, Note: &wal.Note{Text: "x"}}
	_, err := f.Client.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{rec}})
	var apiErr *transport.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != transport.CodeNotLeader || apiErr.Status != http.StatusServiceUnavailable {
		t.Fatalf("internal propose to a follower: %v, want not_leader (503)", err)
	}
}
