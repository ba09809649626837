package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// TestRetentionScheduleCompacts: with retention.history set, the leader
// commits a compaction record naming the policy, keeping the state as of
// history ago.
func TestRetentionScheduleCompacts(t *testing.T) {
	a, _ := soloClient(t, func(c *Config) {
		c.Retention = RetentionConfig{History: Span(time.Hour), Interval: Span(time.Second)}
	})
	revs := agedNotes(t, a, 3*time.Hour, 2*time.Hour, 0)
	waitFor(t, "a retention compaction", 10*time.Second, func() bool { return len(compactionRecords(t, a)) > 0 })
	rec := compactionRecords(t, a)[0].Record
	if rec.Compaction.Revision != revs[1] || rec.Compaction.Policy != "retention history=1h" || rec.Compaction.Audit != 0 {
		t.Fatalf("retention record: %+v", rec.Compaction)
	}
	due := a.retentionDue(time.Second, time.Time{})
	if !due.Equal(rec.Time.Add(time.Second)) {
		t.Fatalf("next run due %v, want an interval after the record (%v)", due, rec.Time)
	}
	if later := a.retentionDue(time.Second, rec.Time.Add(5*time.Second)); !later.Equal(rec.Time.Add(6 * time.Second)) {
		t.Fatalf("after a check that found nothing, due %v, want an interval after the check", later)
	}
}

// TestCompactionHeldByAFollowersRead: a follow stream on a follower
// started after revision X holds compaction at X+1, however far the
// request asks to go, and says so in the plan; once the stream ends the
// same request goes all the way. A pin older than the read grace holds
// nothing.
func TestCompactionHeldByAFollowersRead(t *testing.T) {
	agents := startThree(t)
	l, f := leaderOf(agents), followerOf(agents)
	revs := agedNotes(t, l, 0, 0, 0, 0, 0)
	fc, err := transport.NewClient(f.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the follower applies", 10*time.Second, func() bool { return f.store.CurrentRevision() >= revs[4] })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- fc.Follow(ctx, transport.WALQuery{After: transport.Revision{Main: revs[1]}}, func(transport.WALEntry) error { return nil })
	}()
	waitFor(t, "the follower pins the stream", 10*time.Second, func() bool { return f.pins.oldest(f.now(), time.Minute) == revs[1]+1 })
	out, err := fc.Compact(context.Background(), transport.CompactRequest{Revision: revs[4], DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]transport.CompactHold{{Node: f.cfg.NodeName, Revision: revs[1] + 1}})
	if out.Plan.Revision != revs[1]+1 || fmt.Sprint(out.Plan.Held) != want {
		t.Fatalf("plan with a read in flight: revision %d, held %v; want %d, %s", out.Plan.Revision, out.Plan.Held, revs[1]+1, want)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("follow: %v", err)
	}
	waitFor(t, "the stream's pin released", 10*time.Second, func() bool { return f.pins.oldest(f.now(), time.Minute) == 0 })
	release := f.pins.hold(revs[0], f.now().Add(-time.Hour)) // a read older than the grace
	defer release()
	out, err = fc.Compact(context.Background(), transport.CompactRequest{Revision: revs[4], DryRun: true})
	if err != nil || out.Plan.Revision != revs[4] || len(out.Plan.Held) != 0 {
		t.Fatalf("plan after the stream: %+v, %v", out.Plan, err)
	}
}

func TestPinRevision(t *testing.T) {
	for q, want := range map[string]uint64{"revision=7": 7, "from=9&to=12": 9, "after=5.3": 6, "after=0": 0, "": 0, "revision=x": 0} {
		r, _ := http.NewRequest(http.MethodGet, "/v1/state?"+q, nil)
		if got := pinRevision(r.URL.Query()); got != want {
			t.Errorf("pinRevision(%q) = %d, want %d", q, got, want)
		}
	}
}
