//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// operatorName is the client certificate the story's CLI presents.
const operatorName = "operator"

// material is the security material of the story's cluster, made by the
// binary under test the way docs/operations.md ("Creating the material")
// tells operators to: the cluster CA, a node certificate per node, a
// client certificate for the CLI (all in dir), a gossip key from
// `ovi keygen`, and two random API tokens.
type material struct {
	dir                   string
	gossipKey             string
	readToken, writeToken string
}

// makeMaterial runs `ovi tls ca create`, `ovi tls cert create` for ovi-1…
// ovi-N (--ip 127.0.0.1: the agents run there) and for the operator
// (--client), and `ovi keygen`.
func makeMaterial(t *testing.T, bin string, nodes int) material {
	t.Helper()
	m := material{dir: filepath.Join(t.TempDir(), "tls"), readToken: randomToken(t), writeToken: randomToken(t)}
	runBin(t, bin, "tls", "ca", "create", "--dir", m.dir)
	for i := 1; i <= nodes; i++ {
		runBin(t, bin, "tls", "cert", "create", "--ca-dir", m.dir, "--dir", m.dir,
			"--name", fmt.Sprintf("ovi-%d", i), "--ip", "127.0.0.1")
	}
	runBin(t, bin, "tls", "cert", "create", "--ca-dir", m.dir, "--dir", m.dir, "--name", operatorName, "--client")
	m.gossipKey = strings.TrimSpace(runBin(t, bin, "keygen"))
	return m
}

// randomToken is what `openssl rand -hex 32` prints.
func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// runBin runs a local (no agent) ovi command and returns its stdout,
// failing the test unless it exits 0.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = hermeticEnv("NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ovi %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// operator is someone running the CLI with the cluster CA, the operator's
// client certificate and one API token: every call goes over https.
type operator struct {
	bin   string
	mat   material
	token string
}

// reader holds the read token (state, WAL, members).
func (m material) reader(bin string) operator {
	return operator{bin: bin, mat: m, token: m.readToken}
}

// writer holds the write token (reconcile; it also reads).
func (m material) writer(bin string) operator {
	return operator{bin: bin, mat: m, token: m.writeToken}
}

// args is the full command line for a call to the agent at addr (host:port).
func (o operator) args(addr string, args ...string) []string {
	return append([]string{
		"--address", "https://" + addr,
		"--ca-file", filepath.Join(o.mat.dir, "ovi-ca.pem"),
		"--cert-file", filepath.Join(o.mat.dir, operatorName+".pem"),
		"--key-file", filepath.Join(o.mat.dir, operatorName+"-key.pem"),
		"--token", o.token,
	}, args...)
}

// command is the CLI call as an exec.Cmd (for the long-running ones).
func (o operator) command(ctx context.Context, addr string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, o.bin, o.args(addr, args...)...)
	cmd.Env = simEnv()
	return cmd
}
