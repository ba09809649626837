//go:build e2e

package clustertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// OperatorCert is the name of the operator's client certificate that
// NewMaterial makes.
const OperatorCert = "operator"

// Material is a secure cluster's material, made by the binary under test
// the way docs/operations.md tells operators to: the cluster CA, node
// certificates (--ip 127.0.0.1), an operator's client certificate, a
// gossip key and two API tokens.
type Material struct {
	Dir        string
	GossipKey  string
	ReadToken  string
	WriteToken string
}

// NewMaterial runs `ovi tls ca create`, `ovi tls cert create` for every
// node name, `ovi tls cert create --client` for OperatorCert and
// `ovi keygen`.
func NewMaterial(t testing.TB, bin string, nodeNames ...string) Material {
	t.Helper()
	m := Material{Dir: filepath.Join(t.TempDir(), "tls"), ReadToken: randomToken(t), WriteToken: randomToken(t)}
	run(t, bin, "tls", "ca", "create", "--dir", m.Dir)
	for _, name := range nodeNames {
		run(t, bin, "tls", "cert", "create", "--ca-dir", m.Dir, "--dir", m.Dir, "--name", name, "--ip", "127.0.0.1")
	}
	run(t, bin, "tls", "cert", "create", "--ca-dir", m.Dir, "--dir", m.Dir, "--name", OperatorCert, "--client")
	m.GossipKey = strings.TrimSpace(run(t, bin, "keygen"))
	return m
}

// AgentFlags are the security flags of the agent called name.
func (m Material) AgentFlags(name string) []string {
	return []string{
		"--tls-ca-file", filepath.Join(m.Dir, "ovi-ca.pem"),
		"--tls-cert-file", filepath.Join(m.Dir, name+".pem"),
		"--tls-key-file", filepath.Join(m.Dir, name+"-key.pem"),
		"--gossip-key", m.GossipKey,
		"--acl-read-token", m.ReadToken, "--acl-write-token", m.WriteToken,
	}
}

// TLS is the mutual TLS pair of the certificate called name (a node's
// or OperatorCert): its Client side dials agents presenting it.
func (m Material) TLS(t testing.TB, name string) *transport.MutualTLS {
	t.Helper()
	tl, err := transport.LoadMutualTLS(transport.TLSFiles{CAFile: filepath.Join(m.Dir, "ovi-ca.pem"),
		CertFile: filepath.Join(m.Dir, name+".pem"), KeyFile: filepath.Join(m.Dir, name+"-key.pem")})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// Client is an HTTP API client of addr that presents the certificate
// called cert and sends token.
func (m Material) Client(t testing.TB, addr, cert, token string) *transport.Client {
	t.Helper()
	c, err := transport.NewClient(addr, transport.ClientOptions{Timeout: 5 * time.Second, TLS: m.TLS(t, cert).Client, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// StartSecureCluster starts three agents (ovi-1..3) like StartCluster,
// each with its own certificate, the gossip key and the tokens of m (which
// must hold certificates for ovi-1..3); every Node's Client presents the
// operator's certificate with the write token.
func StartSecureCluster(t testing.TB, bin string, m Material, flags ...string) ([]*Node, *Node) {
	t.Helper()
	nodes := make([]*Node, 3)
	for i := range nodes {
		nodes[i] = NewNode(t, bin, fmt.Sprintf("ovi-%d", i+1))
		nodes[i].Client = m.Client(t, nodes[i].HTTPAddr(), OperatorCert, m.WriteToken)
	}
	return startThree(t, nodes, func(n *Node) []string { return append(m.AgentFlags(n.Name), flags...) })
}

// randomToken is what `openssl rand -hex 32` prints.
func randomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// run runs a local ovi command and returns its stdout, failing the test
// unless it exits 0.
func run(t testing.TB, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ovi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
