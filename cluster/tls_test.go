package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// startTLSThree starts three agents speaking mutual TLS, each with its own
// node certificate of pki, and the given tokens.
func startTLSThree(t *testing.T, pki *testPKI, acl ACLConfig) []*Agent {
	t.Helper()
	var agents []*Agent
	for i, name := range []string{"t1", "t2", "t3"} {
		var join []string
		if i > 0 {
			join = []string{agents[0].GossipAddr()}
		}
		cfg := testConfig(t, name, 3, join...)
		cfg.TLS = pki.issue(name, false)
		cfg.ACL = acl
		cfg.GossipKey = testGossipKey(3)
		agents = append(agents, startAgent(t, cfg))
	}
	waitLeaderReady(t, agents)
	return agents
}

func TestMutualTLSClusterForwardsAndReadsOverTLS(t *testing.T) {
	pki := newTestPKI(t)
	agents := startTLSThree(t, pki, ACLConfig{ReadToken: "rt", WriteToken: "wt"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := followerOf(agents)
	// Write forwarding (follower → leader over HTTPS with the write token).
	rev, err := f.Propose(ctx, []wal.Record{note("tls", "over tls")})
	if err != nil {
		t.Fatalf("propose through a follower: %v", err)
	}
	// An operator with a client-only certificate and the read token reads
	// linearizably from the follower (read index over HTTPS).
	op := pki.clientTLS(pki.issue("alice", true))
	c, err := transport.NewClient(f.HTTPAddr(), transport.ClientOptions{TLS: op, Token: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Address(), "https://") {
		t.Fatalf("client address %s", c.Address())
	}
	st, err := c.State(ctx, transport.StateQuery{Prefix: "notes/", Consistency: transport.Consistent})
	if err != nil || st.Revision < rev || len(st.Entries) != 1 || st.Entries[0].Record.Note.Text != "over tls" {
		t.Fatalf("consistent read on the follower: %+v, %v", st, err)
	}
	// The operator's write (token wt) through the follower is forwarded.
	w, _ := transport.NewClient(f.HTTPAddr(), transport.ClientOptions{TLS: op, Token: "wt"})
	if _, err := w.Note(ctx, transport.NoteRequest{ResourceID: "op", Text: "by operator"}); err != nil {
		t.Fatalf("operator note through the follower: %v", err)
	}
	// A client certificate is not a node certificate: internal endpoints refuse it.
	if _, err := w.ReadIndex(ctx); apiCode(err) != transport.CodeForbidden {
		t.Fatalf("read-index with an operator certificate: %v", err)
	}
}

func TestMutualTLSRefusesOutsiders(t *testing.T) {
	pki := newTestPKI(t)
	agents := startTLSThree(t, pki, ACLConfig{})
	leader := leaderOf(agents)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	caOnly := pki.clientTLS(pki.issue("alice", true)).Clone()
	caOnly.Certificates = nil
	other := newTestPKI(t)
	outsiders := map[string]transport.ClientOptions{
		"plain HTTP":                  {},
		"TLS without a client cert":   {TLS: caOnly},
		"a certificate of another CA": {TLS: other.clientTLS(other.issue("mallory", true))},
	}
	for what, opts := range outsiders {
		c, err := transport.NewClient(leader.HTTPAddr(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Health(ctx); err == nil {
			t.Errorf("%s: the API answered", what)
		}
		c.Close()
	}
	// Forged Raft traffic: plain TCP and TLS without a certificate get no
	// answer and the connection is closed.
	for what, dial := range map[string]func() (net.Conn, error){
		"plain TCP": func() (net.Conn, error) { return net.Dial("tcp", leader.RaftAddr()) },
		"TLS without a certificate": func() (net.Conn, error) {
			return tls.Dial("tcp", leader.RaftAddr(), caOnly)
		},
	} {
		conn, err := dial()
		if err != nil {
			continue // refused during the handshake: fine
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Write([]byte{0, 0x81, 0xa4, 'T', 'e', 'r', 'm', 0x01})
		n, err := io.Copy(io.Discard, conn)
		_ = conn.Close()
		if n > 64 || (err != nil && !isClosed(err)) {
			t.Errorf("%s on the raft port: read %d bytes, err %v (want at most a TLS alert, then the connection closed)", what, n, err)
		}
	}
	// The cluster still works.
	if _, err := leader.Propose(ctx, []wal.Record{note("still", "fine")}); err != nil {
		t.Fatalf("propose after the forged traffic: %v", err)
	}
}

// isClosed reports errors that mean the peer closed or reset the
// connection (not a timeout: the server must hang up, not wait).
func isClosed(err error) bool {
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}
