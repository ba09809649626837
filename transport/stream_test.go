package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// echoOnce accepts one connection on s and echoes what it reads.
func echoOnce(t *testing.T, s *TCPStreamLayer) {
	t.Helper()
	go func() {
		c, err := s.Accept()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		_, _ = io.Copy(c, io.LimitReader(c, 5))
	}()
}

func roundTrip(t *testing.T, s *TCPStreamLayer, addr string) {
	t.Helper()
	c, err := s.Dial(raft.ServerAddress(addr), 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer func() { _ = c.Close() }()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo = %q, %v", buf, err)
	}
}

func TestStreamLayerPlainRoundTrip(t *testing.T) {
	s, err := NewTCPStreamLayer(listen(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	echoOnce(t, s)
	roundTrip(t, s, s.Addr().String())
}

func TestStreamLayerAdvertise(t *testing.T) {
	adv := &net.TCPAddr{IP: net.ParseIP("127.0.0.9"), Port: 9999}
	s, err := NewTCPStreamLayer(listen(t), adv)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if s.Addr().String() != "127.0.0.9:9999" {
		t.Fatalf("Addr = %s", s.Addr())
	}
}

func TestStreamLayerRejectsUnadvertisable(t *testing.T) {
	ln := listen(t)
	defer func() { _ = ln.Close() }()
	_, err := NewTCPStreamLayer(ln, &net.TCPAddr{IP: net.IPv4zero, Port: 1})
	if err == nil || !strings.Contains(err.Error(), "not advertisable") {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewTCPStreamLayer(nil, nil); err == nil {
		t.Fatal("nil listener accepted")
	}
}

func TestStreamLayerDialTimeoutToClosedPort(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	_ = ln.Close()
	s, err := NewTCPStreamLayer(listen(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	start := time.Now()
	if _, err := s.Dial(raft.ServerAddress(addr), time.Second); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("dial did not honour its timeout")
	}
}

// testTLS returns a server/client config pair for mutual TLS on 127.0.0.1.
func testTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ovi-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
}

func TestStreamLayerMutualTLS(t *testing.T) {
	cfg := testTLS(t)
	s, err := NewTCPStreamLayer(listen(t), nil, WithTLS(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	echoOnce(t, s)
	roundTrip(t, s, s.Addr().String())
}

func TestStreamLayerTLSRefusesPlainClient(t *testing.T) {
	srv, err := NewTCPStreamLayer(listen(t), nil, WithTLS(testTLS(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	// A client with its own, unrelated certificate is refused.
	other, err := NewTCPStreamLayer(listen(t), nil, WithTLS(testTLS(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	go func() {
		c, err := srv.Accept()
		if err == nil {
			_, _ = io.Copy(io.Discard, c)
			_ = c.Close()
		}
	}()
	if c, err := other.Dial(raft.ServerAddress(srv.Addr().String()), 2*time.Second); err == nil {
		_ = c.Close()
		t.Fatal("TLS dial with an untrusted certificate succeeded")
	}
}
