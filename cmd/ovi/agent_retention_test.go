package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster"
)

func TestAgentRetentionFileAndFlags(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ovi.yaml")
	body := "data_dir: /tmp/file\nretention:\n  history: 30d\n  audit: 365d\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseAgentArgs(t, "--config", p, "--retention-history", "7d", "--retention-interval", "15m")
	if err != nil {
		t.Fatal(err)
	}
	day := cluster.Span(24 * time.Hour)
	if r := cfg.Retention; r.History != 7*day || r.Audit != 365*day || r.Interval != cluster.Span(15*time.Minute) {
		t.Fatalf("retention = %+v", r)
	}
	if cfg, _ := parseAgentArgs(t, "--data-dir", "/d"); cfg.Retention.Enabled() {
		t.Fatalf("retention on by default: %+v", cfg.Retention)
	}
	for args, want := range map[string]string{
		"--retention-history 30x":                      `--retention-history "30x": invalid flag value: bad duration "30x"`,
		"--retention-audit 1d":                         "retention.audit (1d) needs retention.history",
		"--retention-history 30d --retention-audit 7d": "retention.audit (7d) is shorter than retention.history (30d)",
	} {
		_, err := parseAgentArgs(t, append([]string{"--data-dir", "/d"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}
