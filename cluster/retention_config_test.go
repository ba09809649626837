package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSpan(t *testing.T) {
	good := map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "1h30m": 90 * time.Minute, "7d": 7 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "45s": 45 * time.Second, "17d4h5m6s": (17*24+4)*time.Hour + 5*time.Minute + 6*time.Second,
	}
	if got, err := ParseSpan("1w"); err != nil || got != 7*24*time.Hour {
		t.Errorf("ParseSpan(1w) = %v, %v", got, err)
	}
	for in, want := range good {
		got, err := ParseSpan(in)
		if err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back := Span(got).String(); back != in {
			t.Errorf("Span(%v).String() = %q, want %q", got, back, in)
		}
	}
	bad := map[string]string{
		"":      "empty",
		"30":    "want a number and a unit",
		"30x":   `"x" is not one of`,
		"d":     "want a number and a unit",
		"-1d":   "want a number and a unit",
		"0d":    "longer than zero",
		"12h1d": `"d" is not one of s, m, h, d, w (largest first, each once)`,
		"1.5d":  `"." is not one of`,
	}
	for in, want := range bad {
		_, err := ParseSpan(in)
		if !errors.Is(err, errSpan) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpan(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestRetentionConfigYAML(t *testing.T) {
	cfg, err := ParseConfig("ovi.yaml", []byte("data_dir: /d\nretention:\n  history: 30d\n  audit: 365d\n  interval: 1h\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retention
	if r.History != Span(30*24*time.Hour) || r.Audit != Span(365*24*time.Hour) || r.every() != time.Hour || !r.Enabled() {
		t.Fatalf("retention %+v", r)
	}
	if p := r.Policy(); p != "retention history=30d audit=365d" {
		t.Fatalf("policy %q", p)
	}
	if d := DefaultConfig().Retention; d.Enabled() || d.every() != DefaultRetentionInterval || d.grace() != DefaultReadGrace {
		t.Fatalf("default retention %+v: nothing is dropped by default", d)
	}
	for yml, want := range map[string]string{
		"retention:\n  history: 30x\n": "ovi.yaml:2:12:",
		"retention:\n  histroy: 30d\n": "ovi.yaml:2:3:",
		"retention:\n  history: [1]\n": "ovi.yaml:2:12:",
	} {
		_, err := ParseConfig("ovi.yaml", []byte(yml))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want a one-line error at %s", yml, err, want)
		}
	}
}

func TestRetentionConfigChecks(t *testing.T) {
	day := Span(24 * time.Hour)
	for _, c := range []struct {
		r    RetentionConfig
		want string
	}{
		{RetentionConfig{Audit: day}, "retention.audit (1d) needs retention.history"},
		{RetentionConfig{History: 30 * day, Audit: day}, "retention.audit (1d) is shorter than retention.history (30d)"},
		{RetentionConfig{History: day, Interval: Span(time.Millisecond)}, "retention.interval"},
		{RetentionConfig{History: -day}, "must be positive"},
	} {
		err := c.r.check()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.r, err, c.want)
		}
	}
	if err := (RetentionConfig{History: day, Audit: day}).check(); err != nil {
		t.Errorf("equal history and audit: %v", err)
	}
}

func TestRetentionConfigQuoted(t *testing.T) {
	cfg, err := ParseConfig("ovi.yaml", []byte("data_dir: /d\nretention: {history: \"12h\", interval: '90m'}\n"))
	if err != nil || cfg.Retention.History != Span(12*time.Hour) || cfg.Retention.Interval != Span(90*time.Minute) {
		t.Fatalf("quoted spans: %+v, %v", cfg.Retention, err)
	}
}
