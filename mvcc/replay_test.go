package mvcc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// recordOfKind builds a valid record of any kind.
func recordOfKind(kind wal.Kind, id string, at time.Time, text string) wal.Record {
	r := wal.Record{Kind: kind, ResourceID: id, Time: at, Node: "n1", Term: 3, DecisionID: text}
	switch kind {
	case wal.KindObserved:
		r.Observed = &wal.Observed{Change: wal.ChangeNew, Resource: wal.Resource{ID: id, Kind: wal.ResourceInstance,
			Instance: &wal.Instance{Size: "t3.micro"}, State: "running"}}
	case wal.KindDecided:
		r.Decided = &wal.Decided{ResourceKind: wal.ResourceInstance, Action: wal.ActionDelete, Drift: wal.DriftUnwanted, Reason: text}
	case wal.KindExecuting:
		r.Executing = &wal.Executing{Action: wal.ActionDelete, Description: text, Attempt: 1}
	case wal.KindExecuted:
		// Launches name the instances they created: the audit log also
		// indexes the record under those ids.
		r.Executed = &wal.Executed{Action: wal.ActionCreate, Message: text, ResourceIDs: []string{"i-10", id}}
	case wal.KindFailed:
		r.Failed = &wal.Failed{Action: wal.ActionDelete, Code: "RequestLimitExceeded", Message: text}
	case wal.KindConfigApplied:
		r.Config = &wal.ConfigApplied{Source: "infra.yaml", Digest: text}
	case wal.KindCycleSummary:
		r.Summary = &wal.CycleSummary{Observed: 3}
	case wal.KindCompaction:
		r.Compaction = &wal.Compaction{Revision: 1}
	default:
		r.Note = &wal.Note{Text: text}
	}
	return r
}

// auditFixture commits random records and returns all of them in revision
// order.
func auditFixture(t *testing.T, s *Store, rng *rand.Rand) []RecordAt {
	t.Helper()
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ids := []string{"", "i-1", "i-2", "i-3", "i-1\x00x", "i-10", "i-100"}
	var all []RecordAt
	var entries []Entry
	for index := uint64(1); index <= 600; index++ {
		e := Entry{Index: index, Term: 1}
		for sub := range rng.IntN(4) {
			kind := wal.Kind(1 + rng.IntN(9))
			at := base.Add(time.Duration(rng.IntN(3600)) * time.Second) // not in revision order
			r := recordOfKind(kind, ids[rng.IntN(len(ids))], at, fmt.Sprintf("r%d.%d", index, sub))
			e.Records = append(e.Records, r)
			enc, err := wal.EncodeRecord(nil, &r)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := wal.DecodeRecord(enc)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, RecordAt{Revision: Revision{Main: index, Sub: uint32(sub)}, Record: dec})
		}
		entries = append(entries, e)
		if len(entries) == 50 {
			mustCommit(t, s, entries...)
			entries = nil
		}
	}
	return all
}

// bruteForce filters every record.
func bruteForce(all []RecordAt, f ReplayFilter) []RecordAt {
	var out []RecordAt
	for _, r := range all {
		switch {
		case !f.After.Less(r.Revision):
		case f.ResourceID != "" && !r.Record.Concerns(f.ResourceID):
		case len(f.Kinds) > 0 && !slices.Contains(f.Kinds, r.Record.Kind):
		case !f.Since.IsZero() && r.Record.Time.Before(f.Since):
		case !f.Until.IsZero() && !r.Record.Time.Before(f.Until):
		default:
			out = append(out, r)
		}
	}
	switch {
	case f.Last && len(out) > f.Limit:
		out = out[len(out)-f.Limit:]
	case f.Limit > 0 && len(out) > f.Limit:
		out = out[:f.Limit]
	}
	return out
}

func sameRecords(a, b []RecordAt) bool {
	return slices.EqualFunc(a, b, func(x, y RecordAt) bool {
		return x.Revision == y.Revision && x.Record.DecisionID == y.Record.DecisionID &&
			x.Record.Kind == y.Record.Kind && x.Record.ResourceID == y.Record.ResourceID && x.Record.Time.Equal(y.Record.Time)
	})
}

func TestReplayFilters(t *testing.T) {
	s, _ := openTest(t)
	rng := rand.New(rand.NewPCG(42, 7))
	all := auditFixture(t, s, rng)
	if n, err := s.RecordCount(); err != nil || n != uint64(len(all)) {
		t.Fatalf("RecordCount = %d, %v; want %d", n, err, len(all))
	}
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	filters := []ReplayFilter{
		{},
		{Limit: 7},
		{After: Revision{Main: 300, Sub: 1}},
		{ResourceID: "i-1"},
		{ResourceID: "i-1", Limit: 5},
		{ResourceID: "i-10", After: Revision{Main: 200}},
		{ResourceID: "i-1\x00x"},
		{ResourceID: "i-2", Kinds: []wal.Kind{wal.KindObserved, wal.KindFailed}, Since: base.Add(10 * time.Minute)},
		{ResourceID: "nope"},
		{Kinds: []wal.Kind{wal.KindDecided}},
		{Kinds: []wal.Kind{wal.KindExecuted, wal.KindFailed, wal.KindExecuted}, Limit: 20},
		{Kinds: []wal.Kind{wal.KindNote, wal.KindObserved}, After: Revision{Main: 100, Sub: 2}, Until: base.Add(30 * time.Minute)},
		{Since: base.Add(20 * time.Minute)},
		{Until: base.Add(5 * time.Minute)},
		{Since: base.Add(20 * time.Minute), Until: base.Add(21 * time.Minute), Limit: 3},
		{Since: base.Add(20 * time.Minute), After: Revision{Main: 500}},
		{Since: base.Add(2 * time.Hour)},
		{Limit: 7, Last: true},
		{Limit: 1, Last: true, Until: base.Add(5 * time.Minute)},
		{Limit: 3, Last: true, After: Revision{Main: 300, Sub: 1}},
		{Limit: 4, Last: true, ResourceID: "i-1"},
		{Limit: 5, Last: true, Kinds: []wal.Kind{wal.KindDecided, wal.KindNote}},
		{Limit: 100000, Last: true, Since: base.Add(20 * time.Minute)},
	}
	for i, f := range filters {
		got, err := s.Replay(f)
		if err != nil {
			t.Fatalf("filter %d %+v: %v", i, f, err)
		}
		want := bruteForce(all, f)
		if !sameRecords(got, want) {
			t.Fatalf("filter %d %+v: got %d records, want %d", i, f, len(got), len(want))
		}
	}
	for range 300 { // random combinations
		f := randomFilter(rng, base)
		got, err := s.Replay(f)
		if err != nil || !sameRecords(got, bruteForce(all, f)) {
			t.Fatalf("filter %+v: got %d records, %v; want %d", f, len(got), err, len(bruteForce(all, f)))
		}
	}
	if _, err := s.Replay(ReplayFilter{Kinds: []wal.Kind{42}}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("unknown kind: %v, want ErrInvalidInput", err)
	}
	if _, err := s.Replay(ReplayFilter{Limit: -1}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("negative limit: %v, want ErrInvalidInput", err)
	}
	if _, err := s.Replay(ReplayFilter{Last: true}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("last without a limit: %v, want ErrInvalidInput", err)
	}
}

func randomFilter(rng *rand.Rand, base time.Time) ReplayFilter {
	var f ReplayFilter
	if rng.IntN(3) == 0 {
		f.ResourceID = []string{"i-1", "i-2", "i-3", "i-10"}[rng.IntN(4)]
	}
	for range rng.IntN(3) {
		f.Kinds = append(f.Kinds, wal.Kind(1+rng.IntN(9)))
	}
	if rng.IntN(2) == 0 {
		f.Since = base.Add(time.Duration(rng.IntN(3600)) * time.Second)
	}
	if rng.IntN(2) == 0 {
		f.Until = base.Add(time.Duration(rng.IntN(3600)) * time.Second)
	}
	if rng.IntN(2) == 0 {
		f.After = Revision{Main: rng.Uint64N(600), Sub: uint32(rng.IntN(3))}
	}
	if rng.IntN(2) == 0 {
		f.Limit = 1 + rng.IntN(30)
		f.Last = rng.IntN(2) == 0
	}
	return f
}

func TestReplaySurvivesCompaction(t *testing.T) {
	s, _ := openTest(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := uint64(1); i <= 20; i++ {
		mustCommit(t, s, Entry{Index: i, Ops: []Op{put("k", fmt.Sprint(i))}, Records: []wal.Record{note("i-1", fmt.Sprint(i), at)}})
	}
	if err := s.Compact(15); err != nil {
		t.Fatal(err)
	}
	got, err := s.Replay(ReplayFilter{ResourceID: "i-1"})
	if err != nil || len(got) != 20 {
		t.Fatalf("Replay after compaction: %d records, %v; want 20 (the audit log is never compacted)", len(got), err)
	}
	if h, err := s.History("k"); err != nil || len(h) != 6 {
		t.Fatalf("History after Compact(15): %d versions, %v; want 6", len(h), err)
	}
}

// A launch is decided for a group; its executed record names the new
// instances, and replaying one instance's history finds it.
func TestReplayByResourceFindsTheLaunchThatCreatedIt(t *testing.T) {
	s, _ := openTest(t)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	launch := recordOfKind(wal.KindExecuted, "", at, "launched")
	launch.Executed.ResourceIDs = []string{"i-a", "i-b"}
	seen := recordOfKind(wal.KindObserved, "i-b", at.Add(time.Second), "seen")
	if err := s.Commit([]Entry{{Index: 1, Records: []wal.Record{launch}}, {Index: 2, Records: []wal.Record{seen}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Replay(ReplayFilter{ResourceID: "i-b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Record.Kind != wal.KindExecuted || got[1].Record.Kind != wal.KindObserved {
		t.Fatalf("replay of i-b = %+v, want the launch then the observation", got)
	}
	if got, err := s.Replay(ReplayFilter{ResourceID: "i-c"}); err != nil || len(got) != 0 {
		t.Fatalf("replay of i-c = %+v, %v, want nothing", got, err)
	}
}

// TestReplayByName: a unit's name (the seed's "prod-database") answers
// every record about it — its decisions, their outcomes (indexed through
// the decision), its members' observations — and a cloud id still answers
// its own records only.
func TestReplayByName(t *testing.T) {
	s, _ := openTest(t)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	dec := recordOfKind(wal.KindDecided, "", at, "d-1")
	dec.Decided.Group, dec.Decided.Action, dec.Decided.Drift = "prod-database", wal.ActionCreate, wal.DriftMissing
	exing := recordOfKind(wal.KindExecuting, "", at.Add(time.Second), "d-1")
	exed := recordOfKind(wal.KindExecuted, "", at.Add(2*time.Second), "d-1")
	exed.Executed.ResourceIDs = []string{"i-db"}
	seen := recordOfKind(wal.KindObserved, "i-db", at.Add(3*time.Second), "")
	seen.Observed.Resource.Group = "prod-database"
	other := recordOfKind(wal.KindObserved, "i-web", at.Add(3*time.Second), "")
	other.Observed.Resource.Group = "web"
	note := recordOfKind(wal.KindNote, "", at.Add(4*time.Second), "")
	entries := []Entry{{Index: 1, Records: []wal.Record{dec}}, {Index: 2, Records: []wal.Record{exing}},
		{Index: 3, Records: []wal.Record{exed}}, {Index: 4, Records: []wal.Record{seen, other, note}}}
	if err := s.Commit(entries); err != nil {
		t.Fatal(err)
	}
	kinds := func(f ReplayFilter) []wal.Kind {
		got, err := s.Replay(f)
		if err != nil {
			t.Fatal(err)
		}
		var ks []wal.Kind
		for _, r := range got {
			ks = append(ks, r.Record.Kind)
		}
		return ks
	}
	all := []wal.Kind{wal.KindDecided, wal.KindExecuting, wal.KindExecuted, wal.KindObserved}
	if got := kinds(ReplayFilter{ResourceID: "prod-database"}); !slices.Equal(got, all) {
		t.Fatalf("replay of prod-database = %v, want %v", got, all)
	}
	if got := kinds(ReplayFilter{ResourceID: "prod-database", Kinds: []wal.Kind{wal.KindObserved}}); !slices.Equal(got, all[3:]) {
		t.Fatalf("observations of prod-database = %v", got)
	}
	if got := kinds(ReplayFilter{ResourceID: "i-db"}); !slices.Equal(got, all[2:]) {
		t.Fatalf("replay of i-db = %v, want the launch and the observation", got)
	}
	if got := kinds(ReplayFilter{ResourceID: "prod-database", Limit: 2}); !slices.Equal(got, all[:2]) {
		t.Fatalf("first 2 of prod-database = %v", got)
	}
}
