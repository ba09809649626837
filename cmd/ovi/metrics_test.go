package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
	"github.com/yairfalse/ovi/transport"
)

// scrape parses a node's /metrics.
func scrape(t *testing.T, c *transport.Client) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := c.Metrics(ctx)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, text)
	}
	return fams
}

// sample returns the value of the series of name whose labels include
// want (a counter, gauge or untyped value), or -1 if there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
		return m.GetUntyped().GetValue()
	}
	return -1
}

// TestAgentExportsReconcileAndAWSMetricsAndLogsCycles runs one agent
// with the loop against the simulator: once it has converged /metrics
// carries the cycles, the plan by kind and drift, the launch and the EC2
// calls, and the log one line per cycle and one for the action.
func TestAgentExportsReconcileAndAWSMetricsAndLogsCycles(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_EC2": ""} {
		t.Setenv(k, v)
	}
	logs := newSyncBuffer()
	logger := slog.New(slog.NewTextHandler(logs, nil))
	simURL, stop, err := ec2sim.New(ec2sim.Options{Seed: 1}).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if err := seedDevCloud(context.Background(), simURL); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	infra := filepath.Join(dir, "infrastructure.yaml")
	if err := os.WriteFile(infra, devInfrastructure, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := cluster.DefaultConfig()
	cfg.NodeName, cfg.DataDir, cfg.Ports, cfg.BootstrapExpect = "metrics", filepath.Join(dir, "data"), cluster.Ports{}, 1
	cfg.Infrastructure, cfg.Interval, cfg.Logger = infra, time.Hour, logger
	agent, err := startAgent(cfg, engine.AWSProviders(simURL, logger), logger, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Shutdown(context.Background()) })
	client, err := transport.NewClient(agent.HTTPAddr(), transport.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a converged cycle in /metrics", func() bool {
		return sample(scrape(t, client), "ovi_reconcile_drift_resources", "kind", "ec2", "drift", "in-sync") == 3
	})
	checkCycleMetrics(t, scrape(t, client))
	checkCycleLogs(t, logs.String(), simURL)
}

func checkCycleMetrics(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	for _, c := range []struct {
		name   string
		labels []string
		min    float64
		max    float64
	}{
		{"ovi_reconcile_actions_total", []string{"kind", "ec2", "action", "create", "outcome", "executed"}, 1, 1},
		{"ovi_reconcile_actions_total", []string{"kind", "ec2", "action", "delete", "outcome", "failed"}, 0, 0},
		{"ovi_reconcile_cycles_total", []string{"result", "success", "dry_run", "false"}, 2, 100},
		{"ovi_reconcile_observed_resources", []string{"kind", "ec2"}, 5, 5},
		{"ovi_reconcile_drift_resources", []string{"kind", "ec2", "drift", "missing"}, 0, 0},
		{"ovi_reconcile_drift_resources", []string{"kind", "ec2", "drift", "unmanaged"}, 2, 2},
		{"ovi_reconcile_refusals", []string{"kind", "ec2", "reason", "protected"}, 0, 0},
		{"ovi_reconcile_cycle_duration_seconds", nil, 2, 100},
		{"ovi_reconcile_last_success_timestamp_seconds", nil, float64(time.Now().Add(-time.Minute).Unix()), float64(time.Now().Unix() + 1)},
		{"ovi_reconcile_interval_seconds", nil, 3600, 3600},
		{"ovi_reconcile_open_intents", nil, 0, 0},
		{"ovi_aws_api_requests_total", []string{"action", "RunInstances", "error_code", "none"}, 1, 1},
		{"ovi_aws_api_requests_total", []string{"action", "DescribeInstances", "error_code", "none"}, 2, 100},
		{"ovi_aws_api_throttled_total", []string{"action", "RunInstances"}, 0, 0},
		{"ovi_aws_api_request_duration_seconds", []string{"action", "RunInstances"}, 1, 1},
		{"ovi_aws_rate_limit_waits_total", []string{"bucket", "run_instances"}, 0, 0},
		{"ovi_raft_leader_changes_total", nil, 1, 1},
		{"ovi_raft_leader", nil, 1, 1},
	} {
		if v := sample(fams, c.name, c.labels...); v < c.min || v > c.max {
			t.Errorf("%s%v = %v, want %v..%v", c.name, c.labels, v, c.min, c.max)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

func checkCycleLogs(t *testing.T, logs, simURL string) {
	t.Helper()
	cycle := regexp.MustCompile(`msg="reconcile cycle" cycle=\S+ result=success dry_run=false ` +
		`ebs_volume.observed=1 ebs_volume.in_sync=0 ebs_volume.missing=1 ebs_volume.unwanted=0 ebs_volume.drifted=0 ebs_volume.unmanaged=1 ` +
		`ec2.observed=2 ec2.in_sync=0 ec2.missing=3 ec2.unwanted=0 ec2.drifted=0 ec2.unmanaged=2 security_group.observed=3 security_group.in_sync=0 ` +
		`security_group.missing=1 security_group.unwanted=0 security_group.drifted=0 security_group.unmanaged=3 withheld=\d+ executed=3 failed=0 duration=\S+ api_calls=(\d+)`)
	m := cycle.FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no cycle line:\n%s", logs)
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 {
		t.Errorf("cycle line counts %d EC2 calls, want the describe and the launch at least", n)
	}
	if !regexp.MustCompile(`level=INFO msg="reconcile action" kind=ec2 action=create outcome=executed cycle=\S+ decision=\S+ resource_ids=i-\w+,i-\w+,i-\w+ message=`).MatchString(logs) {
		t.Errorf("no action line:\n%s", logs)
	}
	if !strings.Contains(logs, `msg="cloud provider ready" provider=aws region=us-east-1 endpoint=`+simURL) {
		t.Errorf("the provider line does not name the endpoint in use %s:\n%s", simURL, logs)
	}
}
