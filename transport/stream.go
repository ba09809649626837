package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// ErrNilListener is returned by NewTCPStreamLayer when no listener is given.
var ErrNilListener = errors.New("transport: stream layer needs a listener")

// DefaultHandshakeTimeout bounds the TLS handshake of an accepted Raft
// connection: a peer that connects and stays silent is dropped.
const DefaultHandshakeTimeout = 10 * time.Second

// StreamOption configures a TCPStreamLayer.
type StreamOption func(*TCPStreamLayer)

// WithTLS makes the stream layer speak TLS: accepted connections are
// wrapped with tls.Server(conn, cfg) and dialed ones with tls.Client using
// a clone of cfg (ServerName defaults to the dialed host). A nil cfg keeps
// plain TCP. For mutual TLS, cfg carries Certificates, RootCAs, ClientCAs
// and ClientAuth = tls.RequireAndVerifyClientCert.
func WithTLS(cfg *tls.Config) StreamOption {
	return func(s *TCPStreamLayer) { s.serverTLS, s.clientTLS = cfg, cfg }
}

// WithMutualTLS makes the stream layer speak mutual TLS with a node's
// pair of configurations: accepted connections use m.Server, restricted to
// node certificates (the peer must present a certificate of the cluster CA
// with server-auth usage; an operator's client-only certificate is refused
// at the handshake), and dialed ones m.Client (the peer's certificate must
// verify against the CA and name the host part of the dialed Raft address,
// which is the peer's advertise address). A nil m keeps plain TCP.
func WithMutualTLS(m *MutualTLS) StreamOption {
	return func(s *TCPStreamLayer) {
		if m != nil {
			s.serverTLS, s.clientTLS = nodeOnly(m.Server), m.Client
		}
	}
}

// TCPStreamLayer is a raft.StreamLayer over TCP, optionally TLS. It serves
// hashicorp/raft's NetworkTransport: the transport accepts peers' RPC
// connections through Accept and dials peers through Dial.
type TCPStreamLayer struct {
	ln        net.Listener
	advertise net.Addr
	serverTLS *tls.Config
	clientTLS *tls.Config
	handshake time.Duration // bound of an accepted connection's TLS handshake
	guard     RaftGuard     // checks every RPC of accepted connections (with TLS)
}

// compile-time check.
var _ raft.StreamLayer = (*TCPStreamLayer)(nil)

// NewTCPStreamLayer wraps ln. advertise is the address peers use to reach
// this node (nil = ln.Addr()); it must be a concrete, non-wildcard TCP
// address, because Raft stores it in its configuration.
func NewTCPStreamLayer(ln net.Listener, advertise net.Addr, opts ...StreamOption) (*TCPStreamLayer, error) {
	if ln == nil {
		return nil, ErrNilListener
	}
	s := &TCPStreamLayer{ln: ln, advertise: advertise, handshake: DefaultHandshakeTimeout}
	for _, o := range opts {
		o(s)
	}
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("transport: raft address %q is not a TCP address", s.Addr())
	}
	if addr.IP == nil || addr.IP.IsUnspecified() {
		return nil, fmt.Errorf("transport: raft address %q is not advertisable (set advertise_addr)", addr)
	}
	return s, nil
}

// Dial connects to a peer's Raft address within timeout.
func (s *TCPStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", string(address))
	if err != nil {
		return nil, fmt.Errorf("transport: dial raft peer %s: %w", address, err)
	}
	if s.clientTLS == nil {
		return conn, nil
	}
	cfg := s.clientTLS.Clone()
	if cfg.ServerName == "" {
		if host, _, splitErr := net.SplitHostPort(string(address)); splitErr == nil {
			cfg.ServerName = host
		}
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("transport: tls handshake with raft peer %s: %w", address, err)
	}
	return tc, nil
}

// Accept waits for the next peer connection.
func (s *TCPStreamLayer) Accept() (net.Conn, error) {
	conn, err := s.ln.Accept()
	if err != nil {
		return nil, err // raft inspects listener errors as they are
	}
	if s.serverTLS == nil {
		return conn, nil
	}
	return &serverConn{Conn: tls.Server(conn, s.serverTLS), timeout: s.handshake, guard: s.guard}, nil
}

// serverConn is an accepted TLS connection whose handshake (run on first
// use, in the reader's goroutine, never in Accept) must finish within
// timeout; an unverified peer never gets to send a Raft RPC. With a guard,
// a failed handshake is reported to it and every RPC passes its gate.
type serverConn struct {
	*tls.Conn
	timeout time.Duration
	guard   RaftGuard
	once    sync.Once
	err     error
	gate    *rpcGate
}

func (c *serverConn) handshake() error {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		c.err = c.HandshakeContext(ctx)
		if c.guard == nil {
			return
		}
		if c.err != nil {
			c.guard.RaftRefused(handshakeRefusal(c.Conn, c.err))
			return
		}
		c.gate = newRPCGate(c.Conn, peerCert(c.ConnectionState()), c.guard)
	})
	return c.err
}

// Read completes the handshake first, then reads through the gate.
func (c *serverConn) Read(p []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	if c.gate != nil {
		return c.gate.Read(p)
	}
	return c.Conn.Read(p)
}

// Write completes the handshake first.
func (c *serverConn) Write(p []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// Close stops accepting connections.
func (s *TCPStreamLayer) Close() error { return s.ln.Close() }

// Addr is the advertised address (the listener's own if none was given).
func (s *TCPStreamLayer) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.ln.Addr()
}
