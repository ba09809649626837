//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// outsider is a node certificate of the cluster CA whose name is not a
// member of the cluster.
const outsider = "ovi-9"

// forgedText marks the note the attacker tries to append.
const forgedText = "forged by an attacker"

// raftAttacker is a real hashicorp/raft NetworkTransport that dials the
// cluster's Raft ports presenting cert, and the identity it claims in its
// RPC headers.
type raftAttacker struct {
	cert   string // certificate presented
	id     string // claimed server ID
	addr   string // claimed server address
	client *raft.NetworkTransport
}

func newRaftAttacker(t *testing.T, m clustertest.Material, cert, id, addr string) *raftAttacker {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stream, err := transport.NewTCPStreamLayer(ln, nil, transport.WithTLS(m.TLS(t, cert).Client))
	if err != nil {
		t.Fatal(err)
	}
	tr := raft.NewNetworkTransport(stream, 1, 3*time.Second, io.Discard)
	t.Cleanup(func() { _ = tr.Close() })
	return &raftAttacker{cert: cert, id: id, addr: addr, client: tr}
}

func (a *raftAttacker) header() raft.RPCHeader {
	return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(a.id), Addr: []byte(a.addr)}
}

// send makes one RPC of kind to target, claiming a term ten above st's
// and, for AppendEntries and InstallSnapshot, carrying a forged note that
// the follower would commit at once.
func (a *raftAttacker) send(t *testing.T, kind string, target *clustertest.Node, st transport.StatusResponse) error {
	t.Helper()
	id, addr := raft.ServerID(target.Name), raft.ServerAddress(st.Node.RaftAddr)
	term := st.Term + 10
	switch kind {
	case "AppendEntries":
		req := raft.AppendEntriesRequest{RPCHeader: a.header(), Term: term,
			PrevLogEntry: st.LastIndex, PrevLogTerm: st.Term, LeaderCommitIndex: st.LastIndex + 1,
			Entries: []*raft.Log{{Index: st.LastIndex + 1, Term: term, Type: raft.LogCommand, Data: forgedBatch(t)}}}
		var resp raft.AppendEntriesResponse
		return a.client.AppendEntries(id, addr, &req, &resp)
	case "RequestVote":
		req := raft.RequestVoteRequest{RPCHeader: a.header(), Term: term,
			LastLogIndex: st.LastIndex + 1000, LastLogTerm: term}
		var resp raft.RequestVoteResponse
		return a.client.RequestVote(id, addr, &req, &resp)
	case "InstallSnapshot":
		data := forgedBatch(t)
		req := raft.InstallSnapshotRequest{RPCHeader: a.header(), SnapshotVersion: raft.SnapshotVersionMax, Term: term,
			LastLogIndex: st.LastIndex + 1000, LastLogTerm: term, Size: int64(len(data))}
		var resp raft.InstallSnapshotResponse
		return a.client.InstallSnapshot(id, addr, &req, &resp, bytes.NewReader(data))
	case "TimeoutNow":
		var resp raft.TimeoutNowResponse
		return a.client.TimeoutNow(id, addr, &raft.TimeoutNowRequest{RPCHeader: a.header()}, &resp)
	}
	t.Fatalf("unknown rpc %s", kind)
	return nil
}

// forgedBatch is a WAL entry holding one forged note.
func forgedBatch(t *testing.T) []byte {
	t.Helper()
	data, err := wal.EncodeBatch(&wal.Batch{Records: []wal.Record{{Kind: wal.KindNote, ResourceID: "forged",
		Time: time.Now().UTC(), Node: "ovi-1", Note: &wal.Note{Text: forgedText}}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// statuses reads every node's status.
func statuses(t *testing.T, nodes []*clustertest.Node) []transport.StatusResponse {
	t.Helper()
	out := make([]transport.StatusResponse, len(nodes))
	for i, n := range nodes {
		st, ok := n.Status()
		if !ok {
			t.Fatalf("%s does not answer", n.Name)
		}
		out[i] = st
	}
	return out
}

// TestRaftPortRefusesNonMembers reproduces issue 11's attack: a real
// raft.NetworkTransport presenting an operator's client certificate, or a
// node certificate of a name that is not a member, sends AppendEntries,
// RequestVote, InstallSnapshot and TimeoutNow with a higher term to a
// follower. Every RPC must fail, nothing is appended, no term changes,
// and afterwards every node holds the same WAL, without the forged note.
func TestRaftPortRefusesNonMembers(t *testing.T) {
	bin := clustertest.Binary(t)
	mat := clustertest.NewMaterial(t, bin, "ovi-1", "ovi-2", "ovi-3", outsider)
	nodes, l := clustertest.StartSecureCluster(t, bin, mat)
	ctx := clustertest.Context(t, 120*time.Second)
	for i := range 5 {
		if _, err := nodes[i%3].Client.Note(ctx, transport.NoteRequest{ResourceID: "before", Text: strconv.Itoa(i)}); err != nil {
			t.Fatalf("note %d: %v", i, err)
		}
	}
	clustertest.WaitFor(t, "every node holding the leader's log", 30*time.Second, func() bool { return settled(nodes) })
	lst, _ := l.Status()
	f := clustertest.Followers(nodes, l)[0]
	self := "127.0.0.1:1" // the outsider's own (claimed) Raft address
	attackers := []*raftAttacker{
		newRaftAttacker(t, mat, clustertest.OperatorCert, l.Name, lst.Node.RaftAddr),
		newRaftAttacker(t, mat, outsider, l.Name, lst.Node.RaftAddr),
		newRaftAttacker(t, mat, outsider, outsider, self),
	}
	refused := 0
	for _, a := range attackers {
		for _, kind := range []string{"AppendEntries", "RequestVote", "InstallSnapshot", "TimeoutNow"} {
			before := statuses(t, nodes)
			fst := before[indexOf(nodes, f)]
			if err := a.send(t, kind, f, fst); err == nil {
				t.Errorf("%s from %s claiming %s: accepted by %s", kind, a.cert, a.id, f.Name)
			} else {
				refused++
				t.Logf("%s from %s claiming %s: refused: %v", kind, a.cert, a.id, err)
			}
			assertUntouched(t, nodes, before, fmt.Sprintf("%s from %s claiming %s", kind, a.cert, a.id))
		}
	}
	checkRefusalsCounted(t, f, refused/len(attackers))
	res, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: "after", Text: "still one log"})
	if err != nil {
		t.Fatalf("note after the attack: %v", err)
	}
	sameWAL(t, nodes, res.Revision)
}

// settled reports whether every node has the same last index and knows
// it committed (nothing is left in flight).
func settled(nodes []*clustertest.Node) bool {
	var last uint64
	for i, n := range nodes {
		st, ok := n.Status()
		if !ok || st.CommitIndex != st.LastIndex || (i > 0 && st.LastIndex != last) {
			return false
		}
		last = st.LastIndex
	}
	return true
}

func indexOf(nodes []*clustertest.Node, n *clustertest.Node) int {
	for i, m := range nodes {
		if m == n {
			return i
		}
	}
	return -1
}

// assertUntouched checks that no node took the attacker's term (ten above
// its own before the RPC) and that no node's log grew while the term held:
// the only changes allowed are a real election's (a term one or two up, a
// new leader's first entry), which a loaded machine can cause.
func assertUntouched(t *testing.T, nodes []*clustertest.Node, before []transport.StatusResponse, what string) {
	t.Helper()
	after := statuses(t, nodes)
	for i := range nodes {
		b, a := before[i], after[i]
		if a.Term >= b.Term+10 || (a.Term == b.Term && a.LastIndex != b.LastIndex) {
			t.Fatalf("%s: %s moved: term %d→%d, last index %d→%d, state %s→%s", what, nodes[i].Name,
				b.Term, a.Term, b.LastIndex, a.LastIndex, b.State, a.State)
		}
		if a.Term != b.Term {
			t.Logf("%s: %s saw a real election meanwhile (term %d→%d)", what, nodes[i].Name, b.Term, a.Term)
		}
	}
}

// refusedMetric matches the refusal counter of the Raft port.
var refusedMetric = regexp.MustCompile(`(?m)^ovi_peer_refused_total\{listener="raft",reason="([a-z_]+)"\} (\d+)$`)

// checkRefusalsCounted reads f's metrics: each attacker's refusals are
// counted under their reason (an operator's certificate at the handshake,
// a claimed identity not the certificate's, a name that is not a member).
func checkRefusalsCounted(t *testing.T, f *clustertest.Node, perReason int) {
	t.Helper()
	body := metricsOf(t, f)
	got := map[string]int{}
	for _, sub := range refusedMetric.FindAllStringSubmatch(body, -1) {
		got[sub[1]], _ = strconv.Atoi(sub[2])
	}
	for _, reason := range []string{"client_certificate", "identity", "not_member"} {
		if got[reason] < perReason {
			t.Fatalf("%s counts %d raft refusals for %s, want at least %d; counted: %v", f.Name, got[reason], reason, perReason, got)
		}
	}
	t.Logf("%s counted raft refusals: %v", f.Name, got)
}

// sameWAL waits until every node has applied rev and checks that their
// whole WALs are identical and free of the forged note.
func sameWAL(t *testing.T, nodes []*clustertest.Node, rev uint64) {
	t.Helper()
	clustertest.WaitFor(t, "every node applied the last note", 30*time.Second, func() bool {
		for _, n := range nodes {
			if st, ok := n.Status(); !ok || st.AppliedIndex < rev {
				return false
			}
		}
		return true
	})
	ctx := clustertest.Context(t, 30*time.Second)
	var want []byte
	for _, n := range nodes {
		w, err := n.Client.WAL(ctx, transport.WALQuery{Consistency: transport.Stale})
		if err != nil {
			t.Fatalf("%s: wal: %v", n.Name, err)
		}
		for _, e := range w.Records {
			if e.Record.Note != nil && e.Record.Note.Text == forgedText {
				t.Fatalf("%s holds the forged note at %v", n.Name, e.Revision)
			}
		}
		got, _ := json.Marshal(w.Records)
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Fatalf("%s: WAL differs from %s's", n.Name, nodes[0].Name)
		}
	}
}

// metricsOf reads n's /metrics.
func metricsOf(t *testing.T, n *clustertest.Node) string {
	t.Helper()
	body, err := n.Client.Metrics(clustertest.Context(t, 10*time.Second))
	if err != nil {
		t.Fatalf("%s: metrics: %v", n.Name, err)
	}
	return body
}
