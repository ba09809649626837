package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

func TestInternalEndpointsNeedAMemberNodeCertificate(t *testing.T) {
	pki := newTestPKI(t)
	agents := startTLSThree(t, pki, ACLConfig{ReadToken: "rt", WriteToken: "wt"})
	leader := leaderOf(agents)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := func(files TLSConfig) *transport.Client {
		c, err := transport.NewClient(leader.HTTPAddr(), transport.ClientOptions{TLS: pki.clientTLS(files), Token: "wt"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	member := client(pki.issue(followerOf(agents).NodeName(), false))
	if _, err := member.ReadIndex(ctx); err != nil {
		t.Fatalf("read index with a member's node certificate: %v", err)
	}
	outsider := client(pki.issue("t9", false))
	_, err := outsider.ReadIndex(ctx)
	if apiCode(err) != transport.CodeForbidden || !strings.Contains(err.Error(), `"t9" is not a server of this cluster`) {
		t.Fatalf("read index with a non-member's node certificate: %v", err)
	}
	if _, err := outsider.Propose(ctx, transport.ProposeRequest{Records: nil}); apiCode(err) != transport.CodeForbidden {
		t.Fatalf("internal propose with a non-member's node certificate: %v", err)
	}
	metrics, err := client(pki.issue("alice", true)).Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics, `ovi_peer_refused_total{listener="http",reason="not_member"} 2`) {
		t.Fatalf("metrics do not count the refusals:\n%s", metrics)
	}
}

func TestNodeCertificateMustNameTheNode(t *testing.T) {
	pki := newTestPKI(t)
	cfg := testConfig(t, "t1", 1)
	cfg.TLS = pki.issue("ovi-7", false)
	cfg.GossipKey = testGossipKey(3)
	_, err := New(cfg)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `is for "ovi-7" but node_name is "t1"`) {
		t.Fatalf("New with another node's certificate: %v", err)
	}
}
