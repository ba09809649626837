package main

import (
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
)

// TestSecretsStayOutOfLogsWALAndSnapshots runs an agent with API tokens, a
// gossip key and AWS credentials from the environment at debug level,
// applies a reconcile against the simulator, makes refused calls, saves a
// snapshot, and looks for every secret in the log, the snapshot and every
// file of the data directory.
func TestSecretsStayOutOfLogsWALAndSnapshots(t *testing.T) {
	const (
		keyID, secretKey, session = "AKIAOVISECRETTEST01", "ovi+secret/access+key+0123456789abcdef", "ovi-session-token-c0ffee"
		readTok, writeTok         = "ovi-read-token-5aa1", "ovi-write-token-9bb2"
	)
	gossipKey := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secretKey, "AWS_SESSION_TOKEN": session,
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	simURL, stop, err := ec2sim.New(ec2sim.Options{Seed: 1, Logger: logger}).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	infra := filepath.Join(dir, "infrastructure.yaml")
	if err := os.WriteFile(infra, devInfrastructure, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName, cfg.DataDir, cfg.Ports, cfg.BootstrapExpect = "secret", filepath.Join(dir, "data"), cluster.Ports{}, 1
	cfg.ACL = cluster.ACLConfig{ReadToken: readTok, WriteToken: writeTok}
	cfg.GossipKey, cfg.Infrastructure, cfg.LogLevel, cfg.Logger = gossipKey, infra, "debug", logger
	agent, err := startAgent(cfg, engine.AWSProviders(simURL, logger), logger, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Shutdown(context.Background()) })
	waitUntil(t, "leadership", agent.IsLeader)
	addr := "http://" + agent.HTTPAddr()
	snap := filepath.Join(dir, "ovi.snap")
	for _, run := range []struct {
		args []string
		code int
	}{
		{[]string{"--token", writeTok, "reconcile", "-f", infra}, exitOK},
		{[]string{"--token", readTok, "reconcile", "-f", infra}, exitFailure},
		{[]string{"--token", "not-" + readTok, "wal", "replay"}, exitFailure},
		{[]string{"--token", readTok, "wal", "replay"}, exitOK},
		{[]string{"--token", readTok, "snapshot", "save", snap}, exitOK},
	} {
		if code, _, stderr := runCLI(t, append([]string{"--address", addr, "--no-color"}, run.args...)...); code != run.code {
			t.Fatalf("%v: exit %d, want %d: %s", run.args, code, run.code, stderr)
		}
	}
	if err := agent.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "ec2sim: request") ||
		!strings.Contains(logs.String(), "api request refused") || !strings.Contains(logs.String(), "action=RunInstances") {
		t.Fatalf("the log did not capture the run at debug level:\n%s", logs.String())
	}
	haystacks := map[string]string{"log": logs.String()}
	for _, root := range []string{cfg.DataDir, snap} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			haystacks[path] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for where, text := range haystacks {
		for _, s := range []string{keyID, secretKey, session, readTok, writeTok, gossipKey} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q", where, s)
			}
		}
	}
}
