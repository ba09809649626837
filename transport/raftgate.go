package transport

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"io"
	"net"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// RPC types of hashicorp/raft's NetworkTransport wire format
// (net_transport.go): every request is one type byte and one msgpack
// value; an InstallSnapshot request is followed by Size bytes of snapshot.
const (
	rpcAppendEntries uint8 = iota
	rpcRequestVote
	rpcInstallSnapshot
	rpcTimeoutNow
	rpcRequestPreVote
)

// rpcName names an RPC type, for refusals ("" if unknown).
func rpcName(typ uint8) string {
	switch typ {
	case rpcAppendEntries:
		return "AppendEntries"
	case rpcRequestVote:
		return "RequestVote"
	case rpcInstallSnapshot:
		return "InstallSnapshot"
	case rpcTimeoutNow:
		return "TimeoutNow"
	case rpcRequestPreVote:
		return "RequestPreVote"
	}
	return ""
}

// Bounds of the gate's buffers.
const (
	gateReadBuffer = 64 << 10 // bufio over the TLS connection
	gateKeepBuffer = 1 << 20  // a larger RPC buffer is dropped once served
)

// rpcClaim is what the gate decodes of a request: raft's own header type
// (embedded as raft embeds it, so the keys are the same) and the fields
// that name a server or frame the snapshot. The decoder skips every other
// field (log entries included) without keeping it.
type rpcClaim struct {
	raft.RPCHeader
	Leader    []byte // AppendEntries, InstallSnapshot: the leader's address
	Candidate []byte // RequestVote: the candidate's address
	Size      int64  // InstallSnapshot: snapshot bytes after the request
}

// rpcGate sits between an accepted, verified TLS connection and
// hashicorp/raft. It reads one RPC at a time off the connection with the
// same msgpack codec raft uses, keeping the exact bytes; checks that the
// header's server ID is the certificate's name, that the certificate
// names the header's address (and any leader/candidate address is that
// one), and that the guard knows the server; and only then hands raft the
// bytes, unchanged. Snapshot bytes after a checked InstallSnapshot pass
// through. A refused RPC closes the connection: raft sees a clean EOF and
// never a byte of it. The cost per RPC is one extra decode that skips the
// entries, and one copy.
type rpcGate struct {
	conn  net.Conn
	leaf  *x509.Certificate
	name  string // the certificate's common name: the only server ID it may claim
	guard RaftGuard

	rec      recorder
	dec      *codec.Decoder
	claim    rpcClaim
	pending  []byte // checked bytes raft has not read yet
	snapshot int64  // snapshot bytes still to pass through
	err      error  // sticky: the connection is done

	lastAddr string // the address last verified against the certificate
}

func newRPCGate(conn net.Conn, leaf *x509.Certificate, g RaftGuard) *rpcGate {
	gt := &rpcGate{conn: conn, leaf: leaf, name: leaf.Subject.CommonName, guard: g}
	gt.rec.src = bufio.NewReaderSize(conn, gateReadBuffer)
	gt.dec = codec.NewDecoder(&gt.rec, &codec.MsgpackHandle{})
	return gt
}

// Read serves raft checked RPC bytes, then snapshot bytes, then checks
// the next RPC.
func (g *rpcGate) Read(p []byte) (int, error) {
	if len(g.pending) == 0 && g.snapshot == 0 {
		if g.err == nil {
			g.err = g.next()
		}
		if g.err != nil {
			return 0, g.err
		}
	}
	if len(g.pending) > 0 {
		n := copy(p, g.pending)
		g.pending = g.pending[n:]
		return n, nil
	}
	if int64(len(p)) > g.snapshot {
		p = p[:g.snapshot]
	}
	n, err := g.rec.src.Read(p)
	g.snapshot -= int64(n)
	return n, err
}

// next reads and checks one RPC; on success its bytes are pending.
func (g *rpcGate) next() error {
	if cap(g.rec.buf) > gateKeepBuffer {
		g.rec.buf = nil
	}
	g.rec.buf, g.rec.err = g.rec.buf[:0], nil
	typ, err := g.rec.ReadByte()
	if err != nil {
		return err // io.EOF between RPCs is the peer closing
	}
	if rpcName(typ) == "" {
		return g.refuse(Refusal{Reason: RefusedMalformed, Detail: fmt.Sprintf("unknown rpc type %d", typ)})
	}
	g.claim = rpcClaim{}
	if err := g.dec.Decode(&g.claim); err != nil {
		if g.rec.err != nil {
			return fmt.Errorf("transport: read raft rpc: %w", g.rec.err)
		}
		return g.refuse(Refusal{Reason: RefusedMalformed, RPC: rpcName(typ), Detail: clip(err.Error())})
	}
	if r, bad := g.check(typ); bad {
		return g.refuse(r)
	}
	g.pending = g.rec.buf
	if typ == rpcInstallSnapshot {
		g.snapshot = g.claim.Size
	}
	return nil
}

// check applies the membership rule to the decoded claim.
func (g *rpcGate) check(typ uint8) (Refusal, bool) {
	c := &g.claim
	r := Refusal{RPC: rpcName(typ), ID: clip(string(c.ID)), Addr: clip(string(c.Addr))}
	switch {
	case string(c.ID) != g.name:
		r.Reason, r.Detail = RefusedIdentity, "the server ID is not the certificate's name"
	case !g.namesAddr(c.Addr):
		r.Reason, r.Detail = RefusedIdentity, "the certificate does not name the server address"
	case !g.samePeer(typ):
		r.Reason, r.Detail = RefusedIdentity, "the leader or candidate address is not the header's"
	case typ == rpcInstallSnapshot && c.Size < 0:
		r.Reason, r.Detail = RefusedMalformed, "negative snapshot size"
	case !g.guard.RaftMember(g.name, g.lastAddr):
		r.Reason, r.Detail = RefusedNotMember, "not a server of this cluster"
	default:
		return Refusal{}, false
	}
	return r, true
}

// namesAddr reports whether the certificate names the host of addr (an
// IP SAN or DNS SAN); the last verified address is remembered.
func (g *rpcGate) namesAddr(addr []byte) bool {
	if len(addr) > 0 && string(addr) == g.lastAddr {
		return true
	}
	host, _, err := net.SplitHostPort(string(addr))
	if err != nil || g.leaf.VerifyHostname(host) != nil {
		return false
	}
	g.lastAddr = string(addr)
	return true
}

// samePeer checks the leader/candidate field raft also reads as the
// sender's address: empty, or the header's address.
func (g *rpcGate) samePeer(typ uint8) bool {
	var peer []byte
	switch typ {
	case rpcAppendEntries, rpcInstallSnapshot:
		peer = g.claim.Leader
	case rpcRequestVote:
		peer = g.claim.Candidate
	}
	return len(peer) == 0 || string(peer) == g.lastAddr
}

// refuse reports r, closes the connection and ends it for raft.
func (g *rpcGate) refuse(r Refusal) error {
	r.Remote, r.Cert = g.conn.RemoteAddr().String(), clip(g.name)
	_ = g.conn.Close()
	g.guard.RaftRefused(r)
	return io.EOF // raft drops the connection without decoding anything
}

// recorder is the decoder's reader: it reads through src and keeps every
// byte consumed, so a checked RPC can be handed on exactly as it came.
type recorder struct {
	src *bufio.Reader
	buf []byte
	err error // the connection's error, as opposed to a malformed RPC
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	r.buf = append(r.buf, p[:n]...)
	if err != nil {
		r.err = err
	}
	return n, err
}

func (r *recorder) ReadByte() (byte, error) {
	b, err := r.src.ReadByte()
	if err != nil {
		r.err = err
		return 0, err
	}
	r.buf = append(r.buf, b)
	return b, nil
}

func (r *recorder) UnreadByte() error {
	if err := r.src.UnreadByte(); err != nil {
		return err
	}
	r.buf = r.buf[:len(r.buf)-1]
	return nil
}
