package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s: mode %o, want %o", path, st.Mode().Perm(), want)
	}
}

func TestTLSCACreateNeverOverwritesWithoutForce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	code, stdout, stderr := runCLI(t, "tls", "ca", "create", "--dir", dir)
	if code != exitOK || stderr != "" || !strings.Contains(stdout, "ovi-ca.pem") {
		t.Fatalf("ca create: %d %q %q", code, stdout, stderr)
	}
	wantMode(t, dir, 0o700)
	for _, f := range []string{"ovi-ca.pem", "ovi-ca-key.pem"} {
		wantMode(t, filepath.Join(dir, f), 0o600)
	}
	ca := readCert(t, filepath.Join(dir, "ovi-ca.pem"))
	if !ca.IsCA || ca.PublicKeyAlgorithm != x509.ECDSA || ca.NotAfter.Before(time.Now().AddDate(4, 0, 0)) {
		t.Fatalf("CA: isCA %v, %v, until %s", ca.IsCA, ca.PublicKeyAlgorithm, ca.NotAfter)
	}
	key, _ := os.ReadFile(filepath.Join(dir, "ovi-ca-key.pem"))
	code, _, stderr = runCLI(t, "tls", "ca", "create", "--dir", dir)
	if code != exitFailure || !strings.Contains(stderr, "--force") || strings.Count(stderr, "\n") > 2 {
		t.Fatalf("second ca create: %d %q", code, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "ovi-ca-key.pem")); !bytes.Equal(again, key) {
		t.Fatal("the CA key was overwritten without --force")
	}
	if code, _, stderr = runCLI(t, "tls", "ca", "create", "--dir", dir, "--force"); code != exitOK {
		t.Fatalf("--force: %q", stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "ovi-ca-key.pem")); bytes.Equal(again, key) {
		t.Fatal("--force did not replace the key")
	}
	wantMode(t, filepath.Join(dir, "ovi-ca-key.pem"), 0o600)
}

func TestTLSCertCreate(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	if code, _, stderr := runCLI(t, "tls", "ca", "create", "--dir", caDir); code != exitOK {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "certs")
	code, stdout, stderr := runCLI(t, "tls", "cert", "create", "--ca-dir", caDir, "--name", "ovi-1",
		"--ip", "10.0.0.11", "--ip", "127.0.0.1", "--dns", "ovi-1.example.com", "--dir", out)
	if code != exitOK || !strings.Contains(stdout, "ovi-1-key.pem") {
		t.Fatalf("cert create: %d %q %q", code, stdout, stderr)
	}
	wantMode(t, out, 0o700)
	wantMode(t, filepath.Join(out, "ovi-1.pem"), 0o600)
	wantMode(t, filepath.Join(out, "ovi-1-key.pem"), 0o600)
	node := readCert(t, filepath.Join(out, "ovi-1.pem"))
	if node.Subject.CommonName != "ovi-1" || len(node.IPAddresses) != 2 || !node.IPAddresses[0].Equal(net.ParseIP("10.0.0.11")) ||
		len(node.DNSNames) != 1 || node.DNSNames[0] != "ovi-1.example.com" {
		t.Fatalf("node cert names: %s %v %v", node.Subject.CommonName, node.IPAddresses, node.DNSNames)
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(caDir, "ovi-ca.pem")))
	for _, name := range []string{"10.0.0.11", "ovi-1.example.com"} {
		if _, err := node.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("node cert for %s: %v", name, err)
		}
	}
	code, _, stderr = runCLI(t, "tls", "cert", "create", "--ca-dir", caDir, "--name", "alice", "--client", "--dir", out)
	if code != exitOK {
		t.Fatalf("client cert: %q", stderr)
	}
	client := readCert(t, filepath.Join(out, "alice.pem"))
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil || len(client.IPAddresses) != 0 {
		t.Fatalf("client cert: %v %v", err, client.IPAddresses)
	}
	if code, _, stderr = runCLI(t, "tls", "cert", "create", "--ca-dir", caDir, "--name", "alice", "--client", "--dir", out); code != exitFailure || !strings.Contains(stderr, "--force") {
		t.Fatalf("overwrite without --force: %d %q", code, stderr)
	}
}

func TestTLSCertCreateBadInput(t *testing.T) {
	caDir := t.TempDir()
	if code, _, stderr := runCLI(t, "tls", "ca", "create", "--dir", caDir); code != exitOK {
		t.Fatal(stderr)
	}
	out := t.TempDir()
	cases := map[string][]string{
		"no name":       {"--ip", "10.0.0.1"},
		"path in name":  {"--name", "../x", "--ip", "10.0.0.1"},
		"bad ip":        {"--name", "n", "--ip", "10.0.0.x"},
		"no ip nor dns": {"--name", "n"},
		"bad dns":       {"--name", "n", "--dns", "not a name"},
		"no ca":         {"--name", "n", "--ip", "10.0.0.1", "--ca-dir", filepath.Join(caDir, "missing")},
	}
	for what, args := range cases {
		full := append([]string{"tls", "cert", "create", "--ca-dir", caDir, "--dir", out}, args...)
		code, _, stderr := runCLI(t, full...)
		if code != exitFailure || !strings.HasPrefix(stderr, "ovi: ") || strings.Count(stderr, "\n") > 2 {
			t.Errorf("%s: %d %q", what, code, stderr)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("failed runs left files: %v", entries)
	}
}

func TestKeygen(t *testing.T) {
	code, first, stderr := runCLI(t, "keygen")
	if code != exitOK || stderr != "" {
		t.Fatalf("keygen: %d %q", code, stderr)
	}
	_, second, _ := runCLI(t, "keygen")
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(first))
	if err != nil || len(key) != 32 || first == second {
		t.Fatalf("keygen printed %q then %q: %v", first, second, err)
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName, cfg.DataDir, cfg.GossipKey = "n", t.TempDir(), strings.TrimSpace(first)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the agent refuses the generated key: %v", err)
	}
}

// startTLSAgent creates TLS material with the CLI and starts a one-node
// agent that speaks mutual TLS; it returns the agent's https address and
// the directory holding ovi-ca.pem, alice.pem and alice-key.pem.
func startTLSAgent(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"tls", "ca", "create", "--dir", dir},
		{"tls", "cert", "create", "--ca-dir", dir, "--dir", dir, "--name", "ovi-tls", "--ip", "127.0.0.1"},
		{"tls", "cert", "create", "--ca-dir", dir, "--dir", dir, "--name", "alice", "--client"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName, cfg.DataDir, cfg.Ports, cfg.BootstrapExpect = "ovi-tls", t.TempDir(), cluster.Ports{}, 1
	cfg.TLS = cluster.TLSConfig{CAFile: filepath.Join(dir, "ovi-ca.pem"), CertFile: filepath.Join(dir, "ovi-tls.pem"), KeyFile: filepath.Join(dir, "ovi-tls-key.pem")}
	cfg.ACL = cluster.ACLConfig{ReadToken: "reader-token", WriteToken: "writer-token"}
	cfg.Logger = slog.New(slog.DiscardHandler)
	a, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	waitUntil(t, "leadership", a.IsLeader)
	return "https://" + a.HTTPAddr(), dir
}

func TestCLIAgainstAMutualTLSAgent(t *testing.T) {
	addr, dir := startTLSAgent(t)
	files := []string{"--ca-file", filepath.Join(dir, "ovi-ca.pem"),
		"--cert-file", filepath.Join(dir, "alice.pem"), "--key-file", filepath.Join(dir, "alice-key.pem")}
	ok := append([]string{"--address", addr, "--token", "reader-token"}, files...)
	code, stdout, stderr := runCLI(t, append(ok, "members")...)
	if code != exitOK || !strings.Contains(stdout, "ovi-tls") {
		t.Fatalf("members over mutual TLS: %d %q %q", code, stdout, stderr)
	}
	cases := []struct {
		what string
		args []string
		hint string
	}{
		{"no client certificate", []string{"--address", addr, "--token", "reader-token", "--ca-file", filepath.Join(dir, "ovi-ca.pem"), "members"}, "--cert-file"},
		{"no CA", []string{"--address", addr, "--token", "reader-token", "members"}, "--ca-file"},
		{"plain http", append(append([]string{"--address", strings.Replace(addr, "https://", "http://", 1), "--token", "reader-token"}, files...), "members"), "https://"},
		{"read token writes", append(append([]string{}, ok...), "join", "127.0.0.1:9"), "write token"},
		{"no token", append(append([]string{"--address", addr}, files...), "members"), "--token"},
	}
	for _, tc := range cases {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitFailure || !strings.Contains(stderr, "hint: ") || !strings.Contains(stderr, tc.hint) {
			t.Errorf("%s: %d %q (want a hint naming %s)", tc.what, code, stderr, tc.hint)
		}
	}
}

func TestAgentRefusesPlaintextOffLoopback(t *testing.T) {
	dir := t.TempDir()
	_, err := parseAgentArgs(t, "--node-name", "ovi-1", "--data-dir", dir, "--bind-addr", "10.0.0.11")
	if err == nil || !strings.Contains(err.Error(), "ovi tls ca create") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("no TLS off loopback: %v", err)
	}
	cfg, err := parseAgentArgs(t, "--node-name", "ovi-1", "--data-dir", dir, "--bind-addr", "10.0.0.11", "--insecure-plaintext")
	if err != nil || !cfg.InsecurePlaintext {
		t.Fatalf("--insecure-plaintext: %v", err)
	}
	p := filepath.Join(dir, "ovi.yaml")
	if err := os.WriteFile(p, []byte("data_dir: "+dir+"\nbind_addr: 10.0.0.11\ninsecure_plaintext: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseAgentArgs(t, "--config", p); err != nil {
		t.Fatalf("insecure_plaintext in the file: %v", err)
	}
	if _, err := parseAgentArgs(t, "--node-name", "ovi-1", "--data-dir", dir); err != nil {
		t.Fatalf("loopback without TLS: %v", err)
	}
}
