package cluster

import (
	"strings"
	"testing"
	"time"
)

// TestReloadAppliesRetention: a leader started without retention gets a
// reload with `retention: {history: 1h, interval: 1s}` and compacts in the
// same term, naming the reloaded policy; the change is logged once (a
// reload that keeps it logs nothing more); a reload whose retention is bad
// is refused and keeps the running policy; read_grace reloads too (a read
// pinned 30 minutes ago holds compaction back once the grace is 1h).
func TestReloadAppliesRetention(t *testing.T) {
	var logs *logBuffer
	a, _ := soloClient(t, func(c *Config) { logs = capture(c) })
	term := a.raft.CurrentTerm()
	revs := agedNotes(t, a, 3*time.Hour, 2*time.Hour, 0)
	if recs := compactionRecords(t, a); len(recs) != 0 {
		t.Fatalf("compactions without retention: %+v", recs)
	}
	cfg := a.cfg
	cfg.Retention = RetentionConfig{History: Span(time.Hour), Interval: Span(time.Second)}
	if err := a.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a compaction by the reloaded retention", 10*time.Second, func() bool { return len(compactionRecords(t, a)) > 0 })
	rec := compactionRecords(t, a)[0].Record
	if rec.Compaction.Policy != "retention history=1h" || rec.Compaction.Revision != revs[1] {
		t.Fatalf("compaction after the reload: %+v", rec.Compaction)
	}
	if got := a.raft.CurrentTerm(); got != term {
		t.Fatalf("term %d → %d: the reload was applied by a new term", term, got)
	}
	if err := a.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if n := logs.count("retention changed"); n != 1 {
		t.Fatalf("%d lines 'retention changed', want 1:\n%s", n, logs)
	}
	bad := cfg
	bad.Retention.Audit = Span(time.Minute) // shorter than history
	if err := a.Reload(bad); err == nil || !strings.Contains(err.Error(), "retention.audit (1m) is shorter") {
		t.Fatalf("reload with a bad retention: %v", err)
	}
	if r := a.Retention(); r != cfg.Retention {
		t.Fatalf("retention after a refused reload %+v, want the running %+v", r, cfg.Retention)
	}

	release := a.pins.hold(revs[0], a.now().Add(-30*time.Minute))
	defer release()
	if got := a.readsOldest(); got != 0 {
		t.Fatalf("a read pinned 30m ago holds %d under the default 10m grace", got)
	}
	cfg.Retention.ReadGrace = Span(time.Hour)
	if err := a.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := a.readsOldest(); got != revs[0] {
		t.Fatalf("a read pinned 30m ago holds %d under a reloaded 1h grace, want %d", got, revs[0])
	}
}

// TestRetentionErrorsNameTheFilePosition: a retention block that cannot
// hold (audit shorter than history, audit without history) is refused
// when the file is read, at the key's file:line:col.
func TestRetentionErrorsNameTheFilePosition(t *testing.T) {
	for yml, want := range map[string]string{
		"data_dir: /d\nretention:\n  history: 30d\n  audit: 7d\n": "ovi.yaml:4:10: retention.audit (7d) is shorter than retention.history (30d)",
		"data_dir: /d\nretention:\n  audit: 7d\n":                 "ovi.yaml:3:10: retention.audit (7d) needs retention.history",
	} {
		_, err := ParseConfig("ovi.yaml", []byte(yml))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want a one-line error with %q", yml, err, want)
		}
	}
}
