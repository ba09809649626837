package transport

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// testPKI is a CA with a node certificate for 127.0.0.1.
type testPKI struct {
	ca   PEMPair
	node PEMPair
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	now := time.Now()
	ca, err := NewCA(CARequest{Name: "test CA", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	node, err := NewCert(ca, CertRequest{Name: "n1", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{ca: ca, node: node}
}

func (p testPKI) mutual(t *testing.T, cert PEMPair) *MutualTLS {
	t.Helper()
	m, err := NewMutualTLS(p.ca.Cert, cert.Cert, cert.Key)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func parseLeaf(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCAAndCertificates(t *testing.T) {
	p := newTestPKI(t)
	ca := parseLeaf(t, p.ca.Cert)
	if !ca.IsCA || ca.PublicKeyAlgorithm != x509.ECDSA || ca.NotAfter.Sub(ca.NotBefore) < 4*365*24*time.Hour {
		t.Fatalf("CA: isCA=%v alg=%v validity=%s", ca.IsCA, ca.PublicKeyAlgorithm, ca.NotAfter.Sub(ca.NotBefore))
	}
	node := parseLeaf(t, p.node.Cert)
	if node.IsCA || node.Subject.CommonName != "n1" || len(node.IPAddresses) == 0 || !node.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
		t.Fatalf("node cert: %+v", node.Subject)
	}
	if !hasEKU(node, x509.ExtKeyUsageServerAuth) || !hasEKU(node, x509.ExtKeyUsageClientAuth) {
		t.Fatalf("node cert EKUs = %v", node.ExtKeyUsage)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := node.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Fatalf("node cert does not verify against its CA: %v", err)
	}
	client, err := NewCert(p.ca, CertRequest{Name: "alice", Client: true, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	leaf := parseLeaf(t, client.Cert)
	if hasEKU(leaf, x509.ExtKeyUsageServerAuth) || !hasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		t.Fatalf("client cert EKUs = %v", leaf.ExtKeyUsage)
	}
	if !IsNodeCertificate(node) || IsNodeCertificate(leaf) {
		t.Fatal("IsNodeCertificate cannot tell node from client certificates")
	}
}

func TestNewCertRejectsBadRequests(t *testing.T) {
	p := newTestPKI(t)
	cases := map[string]CertRequest{
		"no name":            {IPs: []net.IP{net.ParseIP("10.0.0.1")}},
		"server without SAN": {Name: "n1"},
		"bad dns":            {Name: "n1", DNSNames: []string{"bad name"}},
	}
	for what, req := range cases {
		if _, err := NewCert(p.ca, req); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	if _, err := NewCert(PEMPair{Cert: []byte("x"), Key: []byte("y")}, CertRequest{Name: "n", Client: true}); err == nil {
		t.Error("garbage CA accepted")
	}
}

func TestMutualTLSConfigs(t *testing.T) {
	p := newTestPKI(t)
	m := p.mutual(t, p.node)
	if m.Server.ClientAuth != tls.RequireAndVerifyClientCert || m.Server.ClientCAs == nil || m.Server.MinVersion < tls.VersionTLS12 {
		t.Fatalf("server config: auth=%v minver=%x", m.Server.ClientAuth, m.Server.MinVersion)
	}
	if m.Client.RootCAs == nil || len(m.Client.Certificates) != 1 || m.Client.InsecureSkipVerify || m.Client.MinVersion < tls.VersionTLS12 {
		t.Fatal("client config does not verify the server or lacks the client certificate")
	}
}

func TestLoadMutualTLSErrorsNameTheFile(t *testing.T) {
	p := newTestPKI(t)
	other := newTestPKI(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	files := TLSFiles{CAFile: write("ca.pem", p.ca.Cert), CertFile: write("n1.pem", p.node.Cert), KeyFile: write("n1-key.pem", p.node.Key)}
	if _, err := LoadMutualTLS(files); err != nil {
		t.Fatalf("good files: %v", err)
	}
	bad := map[string]TLSFiles{
		"ca_file":   {CAFile: write("garbage.pem", []byte("nope")), CertFile: files.CertFile, KeyFile: files.KeyFile},
		"cert_file": {CAFile: files.CAFile, CertFile: write("other.pem", other.node.Cert), KeyFile: write("other-key.pem", other.node.Key)},
		"key_file":  {CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: write("wrong-key.pem", other.node.Key)},
	}
	for key, f := range bad {
		_, err := LoadMutualTLS(f)
		if err == nil || !strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v", key, err)
		}
	}
	if _, err := LoadMutualTLS(TLSFiles{CAFile: filepath.Join(dir, "missing.pem")}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// acceptAndRead accepts one connection and reads until it fails,
// reporting the error (a refused handshake surfaces here).
func acceptAndRead(s *TCPStreamLayer) <-chan error {
	done := make(chan error, 1)
	go func() {
		c, err := s.Accept()
		if err != nil {
			done <- err
			return
		}
		defer func() { _ = c.Close() }()
		_, err = io.Copy(io.Discard, c)
		done <- err
	}()
	return done
}

func TestStreamLayerVerifiesPeersBothWays(t *testing.T) {
	p := newTestPKI(t)
	srv, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, p.node)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	echoOnce(t, srv)
	roundTrip(t, srv, srv.Addr().String())

	// A node of another CA is refused by the server; it refuses the server too.
	other := newTestPKI(t)
	stranger, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(other.mutual(t, other.node)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stranger.Close() }()
	accepted := acceptAndRead(srv)
	if c, err := stranger.Dial(raft.ServerAddress(srv.Addr().String()), 2*time.Second); err == nil {
		_ = c.Close()
		t.Fatal("a certificate of another CA was accepted")
	}
	if err := <-accepted; err == nil {
		t.Fatal("server did not refuse the stranger's handshake")
	}
}

func TestStreamLayerChecksServerName(t *testing.T) {
	p := newTestPKI(t)
	// A node certificate issued for another address.
	elsewhere, err := NewCert(p.ca, CertRequest{Name: "n9", IPs: []net.IP{net.ParseIP("10.9.9.9")}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, elsewhere)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	_ = acceptAndRead(srv)
	dialer, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, p.node)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dialer.Close() }()
	_, err = dialer.Dial(raft.ServerAddress(srv.Addr().String()), 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "valid for 10.9.9.9, not 127.0.0.1") {
		t.Fatalf("dial to a server whose certificate names another address: %v", err)
	}
}

func TestStreamLayerRefusesPlainTCPAndCertlessTLS(t *testing.T) {
	p := newTestPKI(t)
	srv, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, p.node)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()

	// Forged raft traffic in plain TCP: the server never reads it as raft.
	accepted := acceptAndRead(srv)
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte{0, 1, 2, 3, 'r', 'a', 'f', 't', '\n'})
	if err := <-accepted; err == nil {
		t.Fatal("plain TCP traffic read without error")
	}
	_ = conn.Close()

	// TLS that trusts the CA but presents no client certificate.
	accepted = acceptAndRead(srv)
	m := p.mutual(t, p.node)
	noCert := m.Client.Clone()
	noCert.Certificates = nil
	tc, err := tls.Dial("tcp", srv.Addr().String(), noCert)
	if err == nil {
		_, err = tc.Write([]byte("x"))
		if err == nil {
			_, err = tc.Read(make([]byte, 1))
		}
		_ = tc.Close()
	}
	if err == nil {
		t.Fatal("TLS without a client certificate was served")
	}
	if err := <-accepted; err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("server side: %v", err)
	}
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, e := range c.ExtKeyUsage {
		if e == u {
			return true
		}
	}
	return false
}

func TestStreamLayerDropsSilentPeers(t *testing.T) {
	p := newTestPKI(t)
	srv, err := NewTCPStreamLayer(listen(t), nil, WithMutualTLS(p.mutual(t, p.node)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	srv.handshake = 200 * time.Millisecond
	accepted := acceptAndRead(srv)
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	select {
	case err := <-accepted:
		if err == nil {
			t.Fatal("a silent connection ended without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a silent connection is still held after 10 s")
	}
}
