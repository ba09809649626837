package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

func TestErrorCodesMapEveryErrorToOneCodeAndStatus(t *testing.T) {
	apiErr := transport.Errorf(transport.CodeStale, "last contact 3s ago")
	cases := []struct {
		name   string
		err    error
		code   string
		status int
	}{
		{"outcome unknown", fmt.Errorf("%w: %w", ErrOutcomeUnknown, raft.ErrLeadershipLost), transport.CodeOutcomeUnknown, 500},
		{"outcome unknown wins over the deadline it wraps", fmt.Errorf("%w: forwarded: %w", ErrOutcomeUnknown, context.DeadlineExceeded), transport.CodeOutcomeUnknown, 500},
		{"invalid proposal", fmt.Errorf("%w: record 0: %w", ErrInvalidProposal, wal.ErrInvalidRecord), transport.CodeBadRequest, 400},
		{"foreign origin", fmt.Errorf("%w: forwarded records name node %q", ErrForeignOrigin, "mallory"), transport.CodeForbidden, 403},
		{"not leader", fmt.Errorf("%w: %w", ErrNotLeader, raft.ErrNotLeader), transport.CodeNotLeader, 503},
		{"raft's not leader", fmt.Errorf("remove peer: %w", raft.ErrNotLeader), transport.CodeNotLeader, 503},
		{"no leader", ErrNoLeader, transport.CodeNoLeader, 503},
		{"deadline after no leader", fmt.Errorf("cluster: propose: %w (last error: %w)", context.DeadlineExceeded, ErrNoLeader), transport.CodeNoLeader, 503},
		{"not applied in time", fmt.Errorf("%w: %w", ErrProposalTimeout, raft.ErrEnqueueTimeout), transport.CodeTimeout, 504},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), transport.CodeTimeout, 504},
		{"shut down", fmt.Errorf("%w: %w", ErrShutdown, raft.ErrRaftShutdown), transport.CodeUnavailable, 503},
		{"store failed", fmt.Errorf("cluster: apply: %w", fsm.ErrStoreFailed), transport.CodeInternal, 500},
		{"compacted", fmt.Errorf("state: %w", mvcc.ErrCompacted), transport.CodeCompacted, 410},
		{"future revision", mvcc.ErrFutureRevision, transport.CodeFutureRevision, 400},
		{"key not found", mvcc.ErrKeyNotFound, transport.CodeNotFound, 404},
		{"bad config", fmt.Errorf("%w: port", ErrConfig), transport.CodeBadRequest, 400},
		{"duplicate name", ErrDuplicateName, transport.CodeConflict, 409},
		{"a handler's API error", apiErr, transport.CodeStale, 503},
		{"anything else", errors.New("disk on fire"), transport.CodeInternal, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := toAPIError(tc.err)
			if got.Code != tc.code || transport.StatusForCode(got.Code) != tc.status {
				t.Fatalf("%v → %s (%d), want %s (%d)", tc.err, got.Code, transport.StatusForCode(got.Code), tc.code, tc.status)
			}
			if got.Message != tc.err.Error() && got != apiErr {
				t.Fatalf("message %q, want the error's text %q", got.Message, tc.err.Error())
			}
		})
	}
}

func TestApplyErrorsSayWhetherTheEntryWasAppended(t *testing.T) {
	cases := []struct {
		raftErr   error
		want      error
		retryable bool
	}{
		{raft.ErrNotLeader, ErrNotLeader, true},
		{raft.ErrLeadershipTransferInProgress, ErrNotLeader, true},
		{raft.ErrEnqueueTimeout, ErrProposalTimeout, false},
		{raft.ErrRaftShutdown, ErrShutdown, false},
		{raft.ErrLeadershipLost, ErrOutcomeUnknown, false},
		{raft.ErrAbortedByRestore, ErrOutcomeUnknown, false},
	}
	for _, tc := range cases {
		err := applyError(tc.raftErr)
		if !errors.Is(err, tc.want) || !errors.Is(err, tc.raftErr) {
			t.Errorf("applyError(%v) = %v, want it to wrap %v and the raft error", tc.raftErr, err, tc.want)
		}
		if retryable(err) != tc.retryable {
			t.Errorf("applyError(%v): retryable %v, want %v", tc.raftErr, retryable(err), tc.retryable)
		}
	}
}

// fakeLeader answers every forwarded proposal with the HTTP layer's
// answer to err (the leader side of the hop) and returns a client of it.
func fakeLeader(t *testing.T, err error) (*transport.Client, string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		transport.WriteError(w, toAPIError(err))
	}))
	t.Cleanup(srv.Close)
	c, cerr := transport.NewClient(srv.URL, transport.ClientOptions{})
	if cerr != nil {
		t.Fatal(cerr)
	}
	return c, srv.Listener.Addr().String()
}

func forwardOnce(c *transport.Client, addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{note("x", "y")}})
	if err == nil {
		return nil
	}
	return forwardError(addr, err)
}

func TestForwardedErrorsCrossTheHopAsTheSameSentinels(t *testing.T) {
	cases := []struct {
		leaderErr error
		want      error
		retryable bool
	}{
		{applyError(raft.ErrLeadershipLost), ErrOutcomeUnknown, false},
		{applyError(raft.ErrNotLeader), ErrNotLeader, true},
		{fmt.Errorf("%w: ovi-2", ErrNotLeader), ErrNotLeader, true},
		{ErrNoLeader, ErrNoLeader, true},
		{applyError(raft.ErrEnqueueTimeout), ErrProposalTimeout, false},
		{fmt.Errorf("%w: wal: batch record 0: %w", ErrInvalidProposal, wal.ErrInvalidRecord), ErrInvalidProposal, false},
	}
	for _, tc := range cases {
		c, addr := fakeLeader(t, tc.leaderErr)
		err := forwardOnce(c, addr)
		if !errors.Is(err, tc.want) {
			t.Errorf("leader answered %v; the follower read %v, want %v", tc.leaderErr, err, tc.want)
			continue
		}
		if retryable(err) != tc.retryable {
			t.Errorf("leader answered %v: retryable %v, want %v", tc.leaderErr, retryable(err), tc.retryable)
		}
		back := toAPIError(err)
		if want := toAPIError(tc.leaderErr).Code; back.Code != want || strings.Contains(back.Message, "\n") || !strings.Contains(back.Message, addr) {
			t.Errorf("the follower answers %s %q, want code %s on one line naming the leader %s", back.Code, back.Message, want, addr)
		}
	}
	// A refusal without a sentinel stays the leader's API error.
	c, addr := fakeLeader(t, fmt.Errorf("%w: forwarded records name node %q", ErrForeignOrigin, "ovi-9"))
	var apiErr *transport.APIError
	if err := forwardOnce(c, addr); !errors.As(err, &apiErr) || apiErr.Code != transport.CodeForbidden || retryable(err) {
		t.Errorf("leader refused the origin; the follower read %v, want the leader's forbidden answer, not retried", err)
	}
}

func TestForwardWithoutAnAnswer(t *testing.T) {
	// Nothing listens: the request was never sent, so a later leader may take it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	c, _ := transport.NewClient(closed, transport.ClientOptions{})
	if err := forwardOnce(c, closed); !errors.Is(err, ErrNoLeader) || !retryable(err) {
		t.Errorf("dial refused: %v, want ErrNoLeader, retried", err)
	}
	// The leader took the request and the connection broke: it may commit.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, herr := w.(http.Hijacker).Hijack()
		if herr == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	c, _ = transport.NewClient(srv.URL, transport.ClientOptions{})
	addr := srv.Listener.Addr().String()
	err = forwardOnce(c, addr)
	if !errors.Is(err, ErrOutcomeUnknown) || retryable(err) {
		t.Fatalf("connection closed after the request: %v, want ErrOutcomeUnknown, not retried", err)
	}
	if e := toAPIError(err); e.Code != transport.CodeOutcomeUnknown || transport.StatusForCode(e.Code) != http.StatusInternalServerError {
		t.Errorf("answered as %s, want outcome_unknown (500)", e.Code)
	}
}

func TestClientPoolRefusesABadAddressInsteadOfAFallback(t *testing.T) {
	p := newClientPool("", nil)
	if c, err := p.get(""); err == nil || c != nil {
		t.Fatalf("get(\"\") = %v, %v; want an error naming the address", c, err)
	}
	a, err := p.get("127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.get("127.0.0.1:8080")
	if a != b || a.Address() != "http://127.0.0.1:8080" {
		t.Fatalf("the pool gave two clients (%p, %p) or the wrong address %s", a, b, a.Address())
	}
}
