package main

import (
	"bytes"
	"testing"

	"github.com/yairfalse/ovi/transport"
)

func healthFixture() transport.OperatorHealthResponse {
	return transport.OperatorHealthResponse{Healthy: false, FailureTolerance: 0, Leader: "ovi-1", Servers: []transport.ServerHealth{
		{Name: "ovi-1", Address: "10.0.0.1:7401", SerfStatus: "alive", Version: "0.1.0", Leader: true, Voter: true, Healthy: true,
			LastTerm: 3, LastIndex: 120, Applied: 120},
		{Name: "ovi-2", Address: "10.0.0.2:7401", SerfStatus: "alive", Version: "0.1.0", Voter: true, Healthy: true,
			LastContact: 0.0123, LastTerm: 3, LastIndex: 120, Applied: 119},
		{Name: "ovi-3", Address: "10.0.0.3:7401", SerfStatus: "failed", Version: "0.1.0", Voter: true, LastContact: -1,
			Failing: []string{"unreachable: transport: GET /v1/health: dial tcp 10.0.0.3:7400: connect: connection refused"}},
	}}
}

func TestGoldenOperatorHealthTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderOperatorHealth(&out, tableOptions(), healthFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "operator_health_table", out.Bytes())
}

func TestGoldenOperatorHealthJSON(t *testing.T) {
	var out bytes.Buffer
	if err := renderOperatorHealth(&out, jsonOptions(), healthFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "operator_health_json", out.Bytes())
	assertRoundTrip(t, "operator health", out.Bytes(), healthFixture())
}

// TestOperatorHealthAgainstAnAgent: one ready node is healthy (exit 0)
// with no failure tolerance.
func TestOperatorHealthAgainstAnAgent(t *testing.T) {
	ta := startTestAgent(t, nil)
	code, stdout, stderr := runCLI(t, "--address", ta.addr, "--no-color", "operator", "health")
	if code != exitOK {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if want := "Healthy: yes   Failure tolerance: 0   Leader: ovi-test\n"; len(stdout) < len(want) || stdout[:len(want)] != want {
		t.Fatalf("output:\n%s", stdout)
	}
}
