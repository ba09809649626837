package transport

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// fakeGuard knows a fixed set of servers and records refusals.
type fakeGuard struct {
	mu      sync.Mutex
	servers map[string]string // id → address
	refused []Refusal
	changed chan struct{}
}

func newFakeGuard() *fakeGuard {
	return &fakeGuard{servers: map[string]string{}, changed: make(chan struct{}, 100)}
}

func (g *fakeGuard) add(id, addr string) {
	g.mu.Lock()
	g.servers[id] = addr
	g.mu.Unlock()
}

func (g *fakeGuard) RaftMember(id, addr string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.servers[id] == addr
}

func (g *fakeGuard) RaftRefused(r Refusal) {
	g.mu.Lock()
	g.refused = append(g.refused, r)
	g.mu.Unlock()
	g.changed <- struct{}{}
}

// waitRefusal returns the next refusal (failing after 5 s).
func (g *fakeGuard) waitRefusal(t *testing.T) Refusal {
	t.Helper()
	select {
	case <-g.changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no refusal reported")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused[len(g.refused)-1]
}

// guardedServer is a raft NetworkTransport behind a guarded stream layer
// (node certificate n1); every RPC that reaches it is answered with
// success and handed to got.
type guardedServer struct {
	trans *raft.NetworkTransport
	guard *fakeGuard
	got   chan raft.RPC
	snaps chan []byte
}

func startGuarded(t *testing.T, p testPKI) *guardedServer {
	t.Helper()
	g := newFakeGuard()
	stream, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, p.node)), WithRaftGuard(g))
	if err != nil {
		t.Fatal(err)
	}
	s := &guardedServer{trans: raft.NewNetworkTransport(stream, 2, 5*time.Second, io.Discard), guard: g,
		got: make(chan raft.RPC, 16), snaps: make(chan []byte, 16)}
	t.Cleanup(func() { _ = s.trans.Close() })
	go s.serve()
	return s
}

func (s *guardedServer) serve() {
	for rpc := range s.trans.Consumer() {
		var resp any
		switch rpc.Command.(type) {
		case *raft.AppendEntriesRequest:
			resp = &raft.AppendEntriesResponse{Success: true}
		case *raft.RequestVoteRequest:
			resp = &raft.RequestVoteResponse{Granted: true}
		case *raft.RequestPreVoteRequest:
			resp = &raft.RequestPreVoteResponse{Granted: true}
		case *raft.InstallSnapshotRequest:
			data, _ := io.ReadAll(rpc.Reader)
			s.snaps <- data
			resp = &raft.InstallSnapshotResponse{Success: true}
		case *raft.TimeoutNowRequest:
			resp = &raft.TimeoutNowResponse{}
		}
		s.got <- rpc
		rpc.Respond(resp, nil)
	}
}

// expectNone fails if an RPC reached raft.
func (s *guardedServer) expectNone(t *testing.T, what string) {
	t.Helper()
	select {
	case rpc := <-s.got:
		t.Fatalf("%s: raft received %T", what, rpc.Command)
	default:
	}
}

// raftClient is a NetworkTransport presenting cert, advertising 127.0.0.1.
func raftClient(t *testing.T, p testPKI, cert PEMPair) (*raft.NetworkTransport, string) {
	t.Helper()
	stream, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, cert)))
	if err != nil {
		t.Fatal(err)
	}
	tr := raft.NewNetworkTransport(stream, 2, 5*time.Second, io.Discard)
	t.Cleanup(func() { _ = tr.Close() })
	return tr, stream.Addr().String()
}

func issueNode(t *testing.T, p testPKI, name string, client bool) PEMPair {
	t.Helper()
	req := CertRequest{Name: name, Client: client, Now: time.Now()}
	if !client {
		req.IPs = []net.IP{net.ParseIP("127.0.0.1")}
	}
	c, err := NewCert(p.ca, req)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func header(id, addr string) raft.RPCHeader {
	return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(id), Addr: []byte(addr)}
}

func TestRaftGateLetsMembersThroughUnchanged(t *testing.T) {
	p := newTestPKI(t)
	srv := startGuarded(t, p)
	cl, addr := raftClient(t, p, issueNode(t, p, "n2", false))
	srv.guard.add("n2", addr)
	target := srv.trans.LocalAddr()
	entries := []*raft.Log{{Index: 7, Term: 3, Type: raft.LogCommand, Data: bytes.Repeat([]byte("x"), 5000)}}
	ae := raft.AppendEntriesRequest{RPCHeader: header("n2", addr), Term: 3, PrevLogEntry: 6, PrevLogTerm: 3, Entries: entries, LeaderCommitIndex: 6}
	ae.Leader = []byte(addr) //nolint:staticcheck // raft still sends the deprecated field: the gate checks it
	for range 3 {            // the same pooled connection, several RPCs
		if err := cl.AppendEntries("n1", target, &ae, &raft.AppendEntriesResponse{}); err != nil {
			t.Fatalf("append entries: %v", err)
		}
		got := (<-srv.got).Command.(*raft.AppendEntriesRequest)
		if len(got.Entries) != 1 || !bytes.Equal(got.Entries[0].Data, entries[0].Data) || got.Term != 3 {
			t.Fatalf("raft received %+v", got)
		}
	}
	rv := raft.RequestVoteRequest{RPCHeader: header("n2", addr), Term: 4}
	rv.Candidate = []byte(addr) //nolint:staticcheck // raft still sends the deprecated field: the gate checks it
	if err := cl.RequestVote("n1", target, &rv, &raft.RequestVoteResponse{}); err != nil {
		t.Fatalf("request vote: %v", err)
	}
	<-srv.got
	snap := bytes.Repeat([]byte("snapshot"), 100000)
	is := raft.InstallSnapshotRequest{RPCHeader: header("n2", addr), SnapshotVersion: raft.SnapshotVersionMax, Term: 4, Leader: []byte(addr), Size: int64(len(snap))}
	if err := cl.InstallSnapshot("n1", target, &is, &raft.InstallSnapshotResponse{}, bytes.NewReader(snap)); err != nil {
		t.Fatalf("install snapshot: %v", err)
	}
	<-srv.got
	if data := <-srv.snaps; !bytes.Equal(data, snap) {
		t.Fatalf("snapshot arrived with %d bytes, want %d", len(data), len(snap))
	}
	if err := cl.TimeoutNow("n1", target, &raft.TimeoutNowRequest{RPCHeader: header("n2", addr)}, &raft.TimeoutNowResponse{}); err != nil {
		t.Fatalf("timeout now: %v", err)
	}
	<-srv.got
	// The connection is still good after a snapshot.
	if err := cl.AppendEntries("n1", target, &ae, &raft.AppendEntriesResponse{}); err != nil {
		t.Fatalf("append entries after the snapshot: %v", err)
	}
	<-srv.got
	if len(srv.guard.refused) != 0 {
		t.Fatalf("refusals: %+v", srv.guard.refused)
	}
}

func TestRaftGateRefusesWhatIsNotTheCertificates(t *testing.T) {
	p := newTestPKI(t)
	srv := startGuarded(t, p)
	cl, addr := raftClient(t, p, issueNode(t, p, "n2", false))
	srv.guard.add("n2", addr)
	srv.guard.add("n1", "127.0.0.1:1")
	target := srv.trans.LocalAddr()
	cases := []struct {
		name     string
		id, addr string
		leader   string
		reason   string
	}{
		{"another server's ID", "n1", "127.0.0.1:1", "127.0.0.1:1", RefusedIdentity},
		{"an address the certificate does not name", "n2", "10.1.1.1:7401", "", RefusedIdentity},
		{"a leader address other than the header's", "n2", addr, "127.0.0.1:1", RefusedIdentity},
		{"no server ID", "", addr, "", RefusedIdentity},
		{"a server not in the cluster", "n2", "127.0.0.1:2", "", RefusedNotMember},
	}
	for _, c := range cases {
		req := raft.AppendEntriesRequest{RPCHeader: header(c.id, c.addr), Term: 99,
			Entries: []*raft.Log{{Index: 1, Term: 99, Data: []byte("forged")}}}
		req.Leader = []byte(c.leader) //nolint:staticcheck // raft still reads the deprecated field: the gate checks it
		if err := cl.AppendEntries("n1", target, &req, &raft.AppendEntriesResponse{}); err == nil {
			t.Fatalf("%s: accepted", c.name)
		}
		r := srv.guard.waitRefusal(t)
		if r.Reason != c.reason || r.Cert != "n2" || r.RPC != "AppendEntries" {
			t.Fatalf("%s: refusal %+v, want reason %s", c.name, r, c.reason)
		}
		srv.expectNone(t, c.name)
	}
}

func TestRaftGateRefusesClientCertificatesAtTheHandshake(t *testing.T) {
	p := newTestPKI(t)
	srv := startGuarded(t, p)
	cl, addr := raftClient(t, p, issueNode(t, p, "alice", true))
	srv.guard.add("alice", addr)
	req := raft.RequestVoteRequest{RPCHeader: header("alice", addr), Term: 99}
	if err := cl.RequestVote("n1", srv.trans.LocalAddr(), &req, &raft.RequestVoteResponse{}); err == nil {
		t.Fatal("an operator certificate's RequestVote was accepted")
	}
	if r := srv.guard.waitRefusal(t); r.Reason != RefusedClientCert || r.Cert != "alice" {
		t.Fatalf("refusal %+v", r)
	}
	srv.expectNone(t, "client certificate")
}

func TestRaftGateRefusesMalformedRPCs(t *testing.T) {
	p := newTestPKI(t)
	srv := startGuarded(t, p)
	m := p.mutual(t, issueNode(t, p, "n2", false))
	for what, payload := range map[string][]byte{
		"unknown rpc type": {9, 0x80},
		"not msgpack":      {rpcAppendEntries, 0xc1, 0xc1},
	} {
		conn, err := tls.Dial("tcp", string(srv.trans.LocalAddr()), m.Client)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write(payload)
		if r := srv.guard.waitRefusal(t); r.Reason != RefusedMalformed {
			t.Fatalf("%s: refusal %+v", what, r)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, _ := io.Copy(io.Discard, conn); n != 0 {
			t.Fatalf("%s: the server answered %d bytes", what, n)
		}
		_ = conn.Close()
		srv.expectNone(t, what)
	}
}
