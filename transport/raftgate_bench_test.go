package transport

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// memConn is a net.Conn reading from a buffer (writes are discarded).
type memConn struct {
	net.Conn
	r *bytes.Reader
}

func (c *memConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *memConn) Close() error                { return nil }
func (c *memConn) RemoteAddr() net.Addr        { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// allowAll is a guard that knows every server.
type allowAll struct{}

func (allowAll) RaftMember(string, string) bool { return true }
func (allowAll) RaftRefused(Refusal)            {}

// encodedAppends is n AppendEntries RPCs as raft writes them, each with
// entries entries of size bytes.
func encodedAppends(b *testing.B, n, entries, size int) []byte {
	b.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	enc := codec.NewEncoder(w, &codec.MsgpackHandle{})
	logs := make([]*raft.Log, entries)
	for i := range logs {
		logs[i] = &raft.Log{Index: uint64(i + 1), Term: 2, Type: raft.LogCommand, Data: bytes.Repeat([]byte{'n'}, size)}
	}
	req := raft.AppendEntriesRequest{RPCHeader: header("n2", "127.0.0.1:7401"), Term: 2, Entries: logs}
	for range n {
		_ = w.WriteByte(rpcAppendEntries)
		if err := enc.Encode(&req); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Flush()
	return buf.Bytes()
}

// benchAppends runs the check of every RPC through the gate (what the
// agent adds per RPC), or raft's own decode of them (the work already
// there), per RPC of 1 or 256 entries of 300 bytes.
func benchAppends(b *testing.B, entries int, gate bool) {
	p := newBenchPKI(b)
	const perRound = 64
	data := encodedAppends(b, perRound, entries, 300)
	b.SetBytes(int64(len(data) / perRound))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += perRound {
		conn := &memConn{r: bytes.NewReader(data)}
		if gate {
			g := newRPCGate(conn, p, allowAll{})
			if _, err := io.Copy(io.Discard, struct{ io.Reader }{g}); err != nil {
				b.Fatal(err)
			}
			continue
		}
		r := bufio.NewReaderSize(conn, 256<<10)
		dec := codec.NewDecoder(r, &codec.MsgpackHandle{})
		for range perRound {
			_, _ = r.ReadByte()
			var req raft.AppendEntriesRequest
			if err := dec.Decode(&req); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRaftGateHeartbeatSized(b *testing.B) { benchAppends(b, 1, true) }
func BenchmarkRaftGate256Entries(b *testing.B)     { benchAppends(b, 256, true) }
func BenchmarkRaftDecode1Entry(b *testing.B)       { benchAppends(b, 1, false) }
func BenchmarkRaftDecode256Entries(b *testing.B)   { benchAppends(b, 256, false) }

// newBenchPKI is the leaf of a node certificate n2 for 127.0.0.1.
func newBenchPKI(b *testing.B) *x509.Certificate {
	b.Helper()
	ca, err := NewCA(CARequest{Name: "bench CA"})
	if err != nil {
		b.Fatal(err)
	}
	pair, err := NewCert(ca, CertRequest{Name: "n2", IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	if err != nil {
		b.Fatal(err)
	}
	block, _ := pem.Decode(pair.Cert)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	return leaf
}
