package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// agedNotes commits one note per age (oldest first), each stamped that
// long before now, and returns their revisions.
func agedNotes(t *testing.T, a *Agent, ages ...time.Duration) []uint64 {
	t.Helper()
	var revs []uint64
	for _, age := range ages {
		rec := note("k", age.String())
		rec.Time = a.now().Add(-age)
		rev, err := a.Propose(context.Background(), []wal.Record{rec})
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, rev)
	}
	return revs
}

func compactionRecords(t *testing.T, a *Agent) []mvcc.RecordAt {
	t.Helper()
	recs, err := a.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindCompaction}})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestCompactDryRunThenKeep: --keep 2h as a dry run says what goes and
// writes nothing; committed, it writes one compaction record whose
// revision is the state as of two hours ago, and reads before it fail.
func TestCompactDryRunThenKeep(t *testing.T) {
	a, c := soloClient(t, nil)
	ctx := context.Background()
	revs := agedNotes(t, a, 5*time.Hour, 4*time.Hour, 3*time.Hour, time.Hour, 0)
	dry, err := c.Compact(ctx, transport.CompactRequest{Keep: "2h", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	p := dry.Plan
	if dry.Revision != 0 || p.Revision != revs[2] || p.Dropped.Versions != 2 || p.Kept.Versions != 3 || p.Dropped.Keys != 0 ||
		p.Policy != "keep 2h" || p.Dropped.KVBytes <= 0 || p.Audit != 0 || p.Dropped.Records != 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	if n := len(compactionRecords(t, a)); n != 0 {
		t.Fatalf("a dry run wrote %d compaction records", n)
	}
	out, err := c.Compact(ctx, transport.CompactRequest{Keep: "2h"})
	if err != nil || out.Revision == 0 || out.Plan.Revision != revs[2] {
		t.Fatalf("compact: %+v, %v", out, err)
	}
	recs := compactionRecords(t, a)
	if len(recs) != 1 || recs[0].Record.Compaction.Revision != revs[2] || recs[0].Record.Compaction.Policy != "keep 2h" {
		t.Fatalf("compaction records: %+v", recs)
	}
	if _, err := c.State(ctx, transport.StateQuery{Revision: revs[1]}); apiCode(err) != transport.CodeCompacted {
		t.Fatalf("read before the kept history: %v, want compacted", err)
	}
	again, err := c.Compact(ctx, transport.CompactRequest{Keep: "2h"})
	if err != nil || again.Revision != 0 || !again.Plan.Nothing() {
		t.Fatalf("the same compaction again: %+v, %v (want nothing to do)", again, err)
	}
}

// TestCompactAuditKeep: audit-keep drops the audit records older than it,
// never past the key history kept.
func TestCompactAuditKeep(t *testing.T) {
	a, c := soloClient(t, nil)
	ctx := context.Background()
	revs := agedNotes(t, a, 5*time.Hour, 4*time.Hour, 3*time.Hour, time.Hour)
	if _, err := c.Compact(ctx, transport.CompactRequest{Keep: "4h", AuditKeep: "2h"}); apiCode(err) != transport.CodeBadRequest ||
		!strings.Contains(err.Error(), "keep at least as much audit log as history") {
		t.Fatalf("audit shorter than history: %v", err)
	}
	out, err := c.Compact(ctx, transport.CompactRequest{Keep: "2h", AuditKeep: "4h"})
	if err != nil || out.Plan.Audit != revs[1] || out.Plan.Dropped.Records == 0 || out.Plan.Policy != "keep 2h, audit-keep 4h" {
		t.Fatalf("compact with audit: %+v, %v", out, err)
	}
	waitFor(t, "audit records dropped", 5*time.Second, func() bool {
		recs, err := a.store.Replay(mvcc.ReplayFilter{})
		return err == nil && len(recs) > 0 && recs[0].Revision.Main == revs[1]
	})
	if rec := compactionRecords(t, a); len(rec) != 1 || rec[0].Record.Compaction.Audit != revs[1] {
		t.Fatalf("compaction record: %+v", rec)
	}
}

// TestCompactRefusals: one-line errors for what cannot be compacted.
func TestCompactRefusals(t *testing.T) {
	a, c := soloClient(t, nil)
	ctx := context.Background()
	revs := agedNotes(t, a, 3*time.Hour, 2*time.Hour, time.Hour)
	if _, err := c.Compact(ctx, transport.CompactRequest{Revision: revs[1]}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   transport.CompactRequest
		code string
		want string
	}{
		{transport.CompactRequest{Revision: 1 << 40}, transport.CodeFutureRevision, "is past the current revision"},
		{transport.CompactRequest{Revision: revs[0]}, transport.CodeCompacted, "is already compacted (history is kept from revision"},
		{transport.CompactRequest{}, transport.CodeBadRequest, "give exactly one of revision, keep and keep_revisions (got 0)"},
		{transport.CompactRequest{Revision: 3, Keep: "1d"}, transport.CodeBadRequest, "(got 2)"},
		{transport.CompactRequest{Keep: "30x"}, transport.CodeBadRequest, `compact: keep: bad duration "30x"`},
		{transport.CompactRequest{Keep: "1d", AuditKeep: "soon"}, transport.CodeBadRequest, "compact: audit_keep: bad duration"},
	} {
		_, err := c.Compact(ctx, tc.in)
		if apiCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want %s %q", tc.in, err, tc.code, tc.want)
		}
	}
}

// TestCompactKeepRevisions keeps the last N revisions readable.
func TestCompactKeepRevisions(t *testing.T) {
	a, c := soloClient(t, nil)
	agedNotes(t, a, 0, 0, 0, 0)
	cur := a.store.CurrentRevision()
	out, err := c.Compact(context.Background(), transport.CompactRequest{KeepRevisions: 2, DryRun: true})
	if err != nil || out.Plan.Revision != cur-1 || out.Plan.Current != cur {
		t.Fatalf("keep-revisions 2 at %d: %+v, %v", cur, out.Plan, err)
	}
	out, err = c.Compact(context.Background(), transport.CompactRequest{KeepRevisions: cur + 5, DryRun: true})
	if err != nil || !out.Plan.Nothing() {
		t.Fatalf("keep more revisions than exist: %+v, %v", out.Plan, err)
	}
}

// TestCompactScopes: the read token previews, only the write token
// commits.
func TestCompactScopes(t *testing.T) {
	a, _ := soloClient(t, func(c *Config) { c.ACL = ACLConfig{ReadToken: "r-token", WriteToken: "w-token"} })
	agedNotes(t, a, time.Hour, 0)
	rc, err := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: "r-token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := rc.Compact(ctx, transport.CompactRequest{KeepRevisions: 1, DryRun: true}); err != nil {
		t.Fatalf("dry run with the read token: %v", err)
	}
	if _, err := rc.Compact(ctx, transport.CompactRequest{KeepRevisions: 1}); apiCode(err) != transport.CodeForbidden {
		t.Fatalf("commit with the read token: %v, want forbidden", err)
	}
}
