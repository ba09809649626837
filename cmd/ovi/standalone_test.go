package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// startTestSim runs the EC2 simulator and points the standard AWS
// variables of this test at it.
func startTestSim(t *testing.T) *ec2sim.Server {
	t.Helper()
	sim := ec2sim.New(ec2sim.Options{Seed: 7})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	t.Setenv("AWS_ENDPOINT_URL_EC2", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CA_BUNDLE", "")
	return sim
}

// TestEmbeddedNodeReconcilesAndKeepsItsData runs the standalone node the
// CLI embeds when no agent answers: a dry run plans, an apply launches,
// and a second embedded node on the same data dir still has the WAL.
func TestEmbeddedNodeReconcilesAndKeepsItsData(t *testing.T) {
	sim := startTestSim(t)
	dir := t.TempDir()
	t.Setenv(standaloneDirEnv, filepath.Join(dir, ".ovi"))
	applied, err := reconcile.ParseConfig("infrastructure.yaml", devInfrastructure)
	if err != nil {
		t.Fatal(err)
	}
	req := transport.ReconcileRequest{Source: applied.Source, Digest: applied.Digest, Config: &applied.Config, DryRun: true}

	kinds := runEmbedded(t, req)
	if !strings.Contains(kinds, "decided") || strings.Contains(kinds, "executing") {
		t.Fatalf("dry run records = %s, want decisions and no execution", kinds)
	}
	if n := len(sim.Instances()); n != 0 {
		t.Fatalf("dry run launched %d instances", n)
	}
	req.DryRun = false
	if kinds := runEmbedded(t, req); !strings.Contains(kinds, "executed") {
		t.Fatalf("apply records = %s, want an executed record", kinds)
	}
	if n := len(sim.Instances()); n != 3 {
		t.Fatalf("simulated cloud holds %d instances after apply, want 3", n)
	}
	if _, err := os.Stat(filepath.Join(dir, ".ovi", "agent.log")); err != nil {
		t.Fatalf("embedded node log: %v", err)
	}
}

// runEmbedded starts an embedded node, runs one reconcile through its
// HTTP API, stops it, and returns the kinds of the streamed records.
func runEmbedded(t *testing.T, req transport.ReconcileRequest) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var notice bytes.Buffer
	node, addr, err := startEmbedded(ctx, &notice)
	if err != nil {
		t.Fatalf("start embedded node: %v", err)
	}
	defer node.stop()
	if !strings.Contains(notice.String(), "running standalone") {
		t.Fatalf("stderr notice = %q, want it to say standalone mode is used", notice.String())
	}
	client, err := transport.NewClient(addr, transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var kinds []string
	err = client.Reconcile(ctx, req, func(r wal.Record) error {
		kinds = append(kinds, r.Kind.String())
		return nil
	})
	if err != nil {
		t.Fatalf("reconcile through the embedded node: %v", err)
	}
	return strings.Join(kinds, ",")
}
