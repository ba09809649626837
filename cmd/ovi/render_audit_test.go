package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// auditFixture is the seed replay, then a leader change and a restore
// that rewound history from revision 43 to 41 (the restore lands after
// the rewound range). The previous leader's name carries an escape
// sequence: the renderers must not pass it to the terminal.
func auditFixture() []walEntry {
	entries := seedReplayFixture()
	lead := wal.Record{Kind: wal.KindLeadership, Time: at(4 * time.Second), Node: "ovi-2", Term: 4,
		Leadership: &wal.Leadership{Leader: "ovi-2", Previous: "ovi-1\x1b[2J", Reason: "previous leader failed"}}
	rst := wal.Record{Kind: wal.KindRestore, Time: at(5 * time.Second), Node: "ovi-2", Term: 4,
		Restore: &wal.Restore{Snapshot: "5b0c0b33fd3a630ab2c4e95daf0ad7e1cdc0b9e7", FromRevision: 44, ToRevision: 41,
			Dropped: 3, Scope: "write", Via: "ovi-3"}}
	return append(entries, entry(44, 0, lead), entry(45, 0, rst))
}

func TestGoldenReplayRestoreAndLeader(t *testing.T) {
	var out bytes.Buffer
	if err := renderReplay(&out, tableOptions(), auditFixture(), false); err != nil {
		t.Fatalf("render: %v", err)
	}
	got := withoutRevisions(t, out.String())
	for _, want := range []string{
		"10:30:04 [leader]    ovi-2 leads term 4 (previous leader ovi-1\\x1b[2J): previous leader failed\n",
		"10:30:05 [restore]   Snapshot 5b0c0b33fd3a restored: history rewound from revision 44 to 41, 3 records dropped (write token, via ovi-3)\n",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("replay lacks %q:\n%s", want, got)
		}
	}
	assertGolden(t, "replay_audit_table", out.Bytes())
}

func TestGoldenTimelineShowsRestoreAndLeader(t *testing.T) {
	var out bytes.Buffer
	if err := renderTimeline(&out, tableOptions(), buildTimeline("i-123456", auditFixture(), at(time.Minute))); err != nil {
		t.Fatalf("render: %v", err)
	}
	for _, want := range []string{"restore: Snapshot 5b0c0b33fd3a restored", "leader: ovi-2 leads term 4"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("timeline lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "\x1b[2J") {
		t.Fatalf("timeline passes an escape sequence through:\n%q", out.String())
	}
	assertGolden(t, "analyze_audit_table", out.Bytes())
}
