package fsm

import (
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// TestCompactionRecordWithAudit: a format-5 compaction record with an
// audit revision drops the audit records below it on every node that
// applies it, and leaves the key history to its own revision.
func TestCompactionRecordWithAudit(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f,
		cmdLog(t, 1, observedRec("i-1", wal.ChangeNew, "t3.micro")),
		cmdLog(t, 2, observedRec("i-1", wal.ChangeUpdated, "t3.large")),
		cmdLog(t, 3, observedRec("i-2", wal.ChangeNew, "t3.micro")),
	)
	rec := compactionRec(2)
	rec.Compaction.Audit, rec.Compaction.Policy = 3, "keep-revisions 2"
	applyOK(t, f, cmdLog(t, 4, rec))
	s := f.Store()
	if s.CompactedRevision() != 2 || s.AuditCompactedRevision() != 3 {
		t.Fatalf("compacted %d, audit %d; want 2, 3", s.CompactedRevision(), s.AuditCompactedRevision())
	}
	waitFor(t, 10*time.Second, "audit records below 3 dropped", func() bool { return len(auditLog(t, s)) == 2 })
	recs := auditLog(t, s)
	if recs[0].Revision.Main != 3 || recs[1].Record.Compaction.Policy != "keep-revisions 2" {
		t.Fatalf("audit log after compaction: %+v", recs)
	}
	res, err := f.Resources(2)
	if err != nil || len(res) != 1 || res[0].Record.Observed.Resource.Instance.Size != "t3.large" {
		t.Fatalf("resources at 2 (the key history keeps its own revision): %+v, %v", res, err)
	}
}
