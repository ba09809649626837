package cluster

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// testPKI is a cluster CA written to a temporary directory, able to issue
// node and client certificates as files.
type testPKI struct {
	t   *testing.T
	dir string
	ca  transport.PEMPair
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	ca, err := transport.NewCA(transport.CARequest{Name: "test CA"})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{t: t, dir: t.TempDir(), ca: ca}
	p.write("ca.pem", ca.Cert)
	return p
}

func (p *testPKI) write(name string, data []byte) string {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// issue writes a certificate for name (a node certificate for 127.0.0.1,
// or a client-only one) and returns its TLS file names.
func (p *testPKI) issue(name string, client bool) TLSConfig {
	p.t.Helper()
	req := transport.CertRequest{Name: name, Client: client}
	if !client {
		req.IPs = []net.IP{net.ParseIP("127.0.0.1")}
	}
	pair, err := transport.NewCert(p.ca, req)
	if err != nil {
		p.t.Fatal(err)
	}
	return TLSConfig{CAFile: filepath.Join(p.dir, "ca.pem"), CertFile: p.write(name+".pem", pair.Cert), KeyFile: p.write(name+"-key.pem", pair.Key)}
}

// clientTLS is the TLS configuration of an API client holding files.
func (p *testPKI) clientTLS(files TLSConfig) *tls.Config {
	p.t.Helper()
	m, err := transport.LoadMutualTLS(transport.TLSFiles{CAFile: files.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile})
	if err != nil {
		p.t.Fatal(err)
	}
	return m.Client
}

// testGossipKey is a valid gossip key (32 bytes of b, base64).
func testGossipKey(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// logBuffer collects an agent's log lines (safe for concurrent writers).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count is how many lines hold s.
func (b *logBuffer) count(s string) int {
	n := 0
	for line := range strings.SplitSeq(b.String(), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// capture points cfg's logger at a new buffer, at debug level.
func capture(cfg *Config) *logBuffer {
	buf := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return buf
}

// waitLeaderReady waits until one of agents leads with every one of them
// a voter and has passed its barrier.
func waitLeaderReady(t *testing.T, agents []*Agent) *Agent {
	t.Helper()
	var leader *Agent
	waitFor(t, "a ready leader", 20*time.Second, func() bool {
		leader = leaderOf(agents)
		return leader != nil && leader.peerCount() == len(agents) && leader.readyTerm.Load() != 0
	})
	return leader
}
