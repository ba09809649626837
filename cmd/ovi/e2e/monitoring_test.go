//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// alertRules is the part of a Prometheus rules file the test reads.
type alertRules struct {
	Groups []struct {
		Rules []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// metricName finds Ovi's metric names in PromQL.
var metricName = regexp.MustCompile(`\bovi_[a-z0-9_]+`)

// TestMonitoringUsesOnlyExportedMetrics: every ovi_* name the alert rules
// and the Grafana dashboard in deploy/monitoring/ query is one a real
// agent exports once it has reconciled (scraped from its /metrics), and
// every dashboard query is valid PromQL (promtool, which `make
// verify-monitoring` installs).
func TestMonitoringUsesOnlyExportedMetrics(t *testing.T) {
	bin, root := clustertest.Binary(t), repoRoot(t)
	queries := monitoringQueries(t, root)
	checkPromQL(t, queries["dashboard"])
	cloud := startSim(t, bin)
	infra := infrastructureCopy(t, root, t.TempDir(), cloud.url, 1)
	n := clustertest.NewNode(t, bin, "mon", "--bootstrap-expect", "1", "--infrastructure", infra, "--interval", "1h",
		"--notify", "name=mon,url=http://127.0.0.1:9/hook,secret=x") // a receiver: its series exist from the start
	n.Env = simEnv()
	n.Start()
	waitForManaged(t, cloud, 1, 30*time.Second)
	var exported map[string]bool
	clustertest.WaitForSeen(t, "the plan gauges on /metrics", 20*time.Second, func() (bool, string) {
		exported = sampleNames(n)
		return exported["ovi_reconcile_drift_resources"], fmt.Sprintf("%d names", len(exported))
	})
	for source, exprs := range queries {
		for _, expr := range exprs {
			for _, name := range metricName.FindAllString(expr, -1) {
				if !exported[name] {
					t.Errorf("%s queries %s, which the agent does not export (in %q)", source, name, expr)
				}
			}
		}
	}
}

// monitoringQueries returns the PromQL of the alert rules and of the
// dashboard's panels.
func monitoringQueries(t *testing.T, root string) map[string][]string {
	t.Helper()
	var rules alertRules
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(root, "deploy", "monitoring", "ovi-alerts.yml"))), &rules); err != nil {
		t.Fatalf("ovi-alerts.yml: %v", err)
	}
	var dash dashboard
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(root, "deploy", "monitoring", "ovi-dashboard.json"))), &dash); err != nil {
		t.Fatalf("ovi-dashboard.json: %v", err)
	}
	out := map[string][]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out["alert rules"] = append(out["alert rules"], r.Expr)
		}
	}
	for _, p := range dash.Panels {
		for _, q := range p.Targets {
			out["dashboard"] = append(out["dashboard"], q.Expr)
		}
	}
	if len(out["alert rules"]) < 10 || len(out["dashboard"]) < 20 {
		t.Fatalf("read %d alert and %d dashboard queries", len(out["alert rules"]), len(out["dashboard"]))
	}
	return out
}

// checkPromQL has promtool parse every expression (as recording rules).
func checkPromQL(t *testing.T, exprs []string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found: run 'make verify-monitoring' once (it installs the prometheus package): %v", err)
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		q, _ := json.Marshal(e) // a JSON string is a YAML string
		fmt.Fprintf(&b, "      - record: ovi_dashboard_query_%d\n        expr: %s\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("the dashboard's queries are not valid PromQL: %v\n%s", err, out)
	}
}

// sampleNames returns the names of every sample n's /metrics serves
// (histograms as _bucket, _sum and _count).
func sampleNames(n *clustertest.Node) map[string]bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := n.Client.Metrics(ctx)
	if err != nil {
		return nil
	}
	names := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names
}
