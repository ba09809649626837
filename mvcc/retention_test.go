package mvcc

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// decided builds a decision about a named unit (indexed under its name
// and its decision id) and its outcome (indexed under the name through the
// decision).
func decidedPair(id string, at time.Time) (wal.Record, wal.Record) {
	d := wal.Record{Kind: wal.KindDecided, Time: at, Node: "n1", DecisionID: id,
		Decided: &wal.Decided{Action: wal.ActionCreate, Drift: wal.DriftMissing, ResourceKind: wal.ResourceInstance, Group: "web", Count: 1}}
	x := wal.Record{Kind: wal.KindExecuted, Time: at, Node: "n1", DecisionID: id, ResourceID: "i-" + id,
		Executed: &wal.Executed{Action: wal.ActionCreate, ResourceIDs: []string{"i-" + id}}}
	return d, x
}

// bucketLen counts the entries of a bucket.
func bucketLen(t *testing.T, s *Store, name string) int {
	t.Helper()
	n := 0
	if err := s.view(func(tx *bolt.Tx) error { n = tx.Bucket([]byte(name)).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitAuditCompacted(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.stateMu.Lock()
		st := s.state
		s.stateMu.Unlock()
		if st.auditDone >= st.audit {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit compaction did not finish: scheduled %d finished %d", st.audit, st.auditDone)
		}
		time.Sleep(5 * time.Millisecond) // polling the background compactor's progress
	}
}

// TestAuditCompactionDropsRecordsAndIndexes: a compaction record with an
// audit revision drops the older records and every index entry that
// pointed at them; later records and their indexes stay, and the record
// count follows.
func TestAuditCompactionDropsRecordsAndIndexes(t *testing.T) {
	s, _ := openTest(t)
	s.testChunk.Store(3) // several chunks
	base := time.Unix(1000, 0)
	for i := uint64(1); i <= 20; i++ {
		d, x := decidedPair(string(rune('a'+i)), base.Add(time.Duration(i)*time.Minute))
		mustCommit(t, s, Entry{Index: i, Ops: []Op{put("k", "v")}, Records: []wal.Record{d, x}})
	}
	mustCommit(t, s, Entry{Index: 21, CompactAudit: 11, Records: []wal.Record{note("", "compact", base.Add(time.Hour))}})
	waitAuditCompacted(t, s)
	if got := s.AuditCompactedRevision(); got != 11 {
		t.Fatalf("AuditCompactedRevision = %d, want 11", got)
	}
	all, err := s.Replay(ReplayFilter{})
	if err != nil || len(all) != 21 || all[0].Revision.Main != 11 {
		t.Fatalf("replay after audit compaction: %d records from %v (%v), want 21 from 11", len(all), all[0].Revision, err)
	}
	if n, _ := s.RecordCount(); n != 21 {
		t.Fatalf("RecordCount = %d, want 21", n)
	}
	byName, _ := s.Replay(ReplayFilter{ResourceID: "web"})
	byKind, _ := s.Replay(ReplayFilter{Kinds: []wal.Kind{wal.KindExecuted}})
	byTime, _ := s.Replay(ReplayFilter{Since: base})
	if len(byName) != 20 || len(byKind) != 10 || len(byTime) != 21 {
		t.Fatalf("by name %d (want 20), by kind %d (want 10), by time %d (want 21)", len(byName), len(byKind), len(byTime))
	}
	// Every index entry below 11 is gone: 10 kept pairs index 2 records
	// by kind and time, the note 1; names 20; resource ids 10; plus the
	// 20 remembered decisions (in idx_res; the newest records' entries
	// are in its memory part).
	mem := s.res.Load().size()
	if k, tm, res := bucketLen(t, s, bucketIdxKind), bucketLen(t, s, bucketIdxTime), bucketLen(t, s, bucketIdxRes)+mem; k != 21 || tm != 21 || res != 20+10+20 {
		t.Fatalf("index entries: kind %d time %d res %d, want 21 21 50", k, tm, res)
	}
	if v, err := s.Get("k", 5); err != nil || string(v.Value) != "v" {
		t.Fatalf("key history is untouched by audit compaction: %v", err)
	}
}

// TestAuditCompactionResumesAfterReopen: a crash with the audit compaction
// scheduled but not finished resumes at the next Open.
func TestAuditCompactionResumesAfterReopen(t *testing.T) {
	s, path := openTest(t)
	for i := uint64(1); i <= 30; i++ {
		mustCommit(t, s, Entry{Index: i, Records: []wal.Record{note("i-1", "n", time.Unix(int64(i), 0))}})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setMeta(t, path, map[string]uint64{metaAuditScheduled: 25})
	s2, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	waitAuditCompacted(t, s2)
	recs, err := s2.Replay(ReplayFilter{ResourceID: "i-1"})
	if err != nil || len(recs) != 6 || recs[0].Revision.Main != 25 {
		t.Fatalf("after resume: %d records (%v), want 6 from revision 25", len(recs), err)
	}
}

// TestPlanCompactionMatchesCompaction: what the plan says goes is exactly
// what the compaction then removes, on a random history.
func TestPlanCompactionMatchesCompaction(t *testing.T) {
	s, _ := openTest(t)
	m := newModel()
	buildHistory(t, s, m, 21, 300)
	before := bucketLen(t, s, bucketVersions)
	keysBefore, _ := s.idx.counts()
	p, err := s.PlanCompaction(200, 150)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kept.Versions+p.Dropped.Versions != before || p.Kept.Keys+p.Dropped.Keys != keysBefore {
		t.Fatalf("plan covers %d+%d versions of %d, %d+%d keys of %d", p.Kept.Versions, p.Dropped.Versions, before,
			p.Kept.Keys, p.Dropped.Keys, keysBefore)
	}
	if p.Dropped.Records != 149 || p.Kept.Records != 151 || !p.OldestKept.Equal(time.Unix(150, 0)) {
		t.Fatalf("plan: %d records dropped, %d kept, oldest kept %v; want 149, 151, %v", p.Dropped.Records, p.Kept.Records, p.OldestKept, time.Unix(150, 0))
	}
	if p.Dropped.KVBytes <= 0 || p.Dropped.AuditBytes <= 0 || p.Kept.Bytes() <= 0 {
		t.Fatalf("plan bytes: %+v", p)
	}
	mustCommit(t, s, Entry{Index: 301, Compact: 200, CompactAudit: 150})
	waitCompacted(t, s)
	waitAuditCompacted(t, s)
	if got := bucketLen(t, s, bucketVersions); got != p.Kept.Versions {
		t.Fatalf("after compaction %d versions, plan kept %d", got, p.Kept.Versions)
	}
	if got, _ := s.idx.counts(); got != p.Kept.Keys {
		t.Fatalf("after compaction %d keys, plan kept %d", got, p.Kept.Keys)
	}
	if n, _ := s.RecordCount(); n != uint64(p.Kept.Records) {
		t.Fatalf("after compaction %d records, plan kept %d", n, p.Kept.Records)
	}
}

func TestPlanCompactionValidates(t *testing.T) {
	s, _ := openTest(t)
	for i := uint64(1); i <= 10; i++ {
		mustCommit(t, s, Entry{Index: i, Ops: []Op{put("k", "v")}, Records: []wal.Record{note("", "n", time.Unix(int64(i), 0))}})
	}
	if _, err := s.PlanCompaction(11, 0); !errors.Is(err, ErrFutureRevision) {
		t.Fatalf("plan to 11 at 10: %v, want ErrFutureRevision", err)
	}
	if _, err := s.PlanCompaction(0, 11); !errors.Is(err, ErrFutureRevision) {
		t.Fatalf("audit plan to 11 at 10: %v, want ErrFutureRevision", err)
	}
	mustCommit(t, s, Entry{Index: 11, Compact: 6, CompactAudit: 4})
	if _, err := s.PlanCompaction(5, 0); !errors.Is(err, ErrCompacted) {
		t.Fatalf("plan to 5 after 6: %v, want ErrCompacted", err)
	}
	if _, err := s.PlanCompaction(0, 3); !errors.Is(err, ErrCompacted) {
		t.Fatalf("audit plan to 3 after 4: %v, want ErrCompacted", err)
	}
	p, err := s.PlanCompaction(0, 0)
	if err != nil || p.Revision != 6 || p.Audit != 4 || p.Current != 11 {
		t.Fatalf("plan of nothing more: %+v, %v", p, err)
	}
}
