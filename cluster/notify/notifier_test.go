package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/cluster/notify/notifytest"
	"github.com/yairfalse/ovi/wal"
)

const waitLong = 10 * time.Second

// harness runs notifiers (one per "term") over one memLog.
type harness struct {
	t   *testing.T
	log *memLog
	reg *prometheus.Registry
	m   *notify.Metrics
	out *syncBuffer
}

func newHarness(t *testing.T) *harness {
	reg := prometheus.NewRegistry()
	return &harness{t: t, log: newMemLog(), reg: reg, m: notify.NewMetrics(reg), out: &syncBuffer{}}
}

// term starts a notifier as a new leader would; the returned function
// ends the term and waits for it.
func (h *harness) term(rs ...notify.Receiver) (*notify.Notifier, func()) {
	n := notify.New(notify.Options{Log: h.log, Metrics: h.m, Version: "test",
		Logger: slog.New(slog.NewTextHandler(h.out, nil))})
	n.SetReceivers(rs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	stop := func() { cancel(); <-done }
	h.t.Cleanup(stop)
	return n, func() { stop() }
}

// started waits until every receiver named has its start record.
func (h *harness) started(names ...string) {
	h.t.Helper()
	waitFor(h.t, "start records", func() bool {
		for _, n := range names {
			if p, _ := h.log.Progress(n); p == nil {
				return false
			}
		}
		return true
	})
}

func (h *harness) counter(name, receiver string) float64 {
	families, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == receiver {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // poll a condition, bounded by the deadline
	}
}

func receiverFor(r *notifytest.Receiver, name string) notify.Receiver {
	return notify.Receiver{Name: name, URL: r.URL(), Secret: "s3cret",
		Retry: notify.Retry{Attempts: 50, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}}
}

func event(n int) wal.Record {
	r := wal.Record{Kind: wal.KindDecided, ResourceID: fmt.Sprintf("i-%d", n), Time: time.Unix(int64(n), 0).UTC(),
		Node: "ovi-1", Term: 2, CycleID: "c-1", DecisionID: fmt.Sprintf("c-1-%d", n)}
	r.Decided = &wal.Decided{Action: wal.ActionDelete, Drift: wal.DriftUnwanted, ResourceKind: wal.ResourceInstance,
		Reason: "Delete: Not in desired configuration", Group: "web"}
	return r
}

func noise() wal.Record {
	return wal.Record{Kind: wal.KindNote, Time: time.Unix(1, 0), Node: "ovi-1", Note: &wal.Note{Text: "not an event"}}
}

func ids(evs []notify.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func accepted(r *notifytest.Receiver, n int) func([]notifytest.Request) bool {
	return func([]notifytest.Request) bool { return len(r.Accepted()) >= n }
}

// TestDeliversSignedEventsInOrder: only events committed after a new
// receiver starts are sent, in revision order, signed, with the record's
// fields; each delivery is recorded.
func TestDeliversSignedEventsInOrder(t *testing.T) {
	h := newHarness(t)
	h.log.append(event(1)) // before the receiver existed: not sent
	rcv := notifytest.Start(t, "s3cret")
	h.term(receiverFor(rcv, "ops"))
	h.started("ops")
	want := []string{
		wal.EventID(h.log.append(event(2)).Main, 0),
		wal.EventID(h.log.append(noise(), event(3)).Main, 0),
	}
	if err := rcv.Wait(waitLong, accepted(rcv, 2)); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.Requests()
	if got := ids(rcv.Accepted()); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	for _, q := range reqs {
		if q.Verified != nil || q.Malformed != nil || q.Attempt != 1 {
			t.Fatalf("request %s: verify %v, body %v, attempt %d", q.Event.ID, q.Verified, q.Malformed, q.Attempt)
		}
		if q.Header.Get(notify.HeaderEventID) != q.Event.ID || q.Header.Get(notify.HeaderEventType) != "drift.detected" ||
			q.Header.Get(notify.HeaderReceiver) != "ops" || q.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", q.Header)
		}
	}
	ev := reqs[0].Event
	if ev.Type != notify.DriftDetected || ev.Resource != "i-2" || ev.Action != "delete" || ev.Drift != "unwanted" ||
		ev.Reason != "Delete: Not in desired configuration" || ev.Cycle != "c-1" || ev.Decision != "c-1-2" || ev.Group != "web" {
		t.Fatalf("event %+v", ev)
	}
	waitFor(t, "two delivery records", func() bool { return len(h.log.deliveries()) == 3 })
	for _, d := range h.log.deliveries()[1:] {
		if d.Outcome != wal.DeliveryDelivered || d.Status != http.StatusOK || d.Attempts != 1 {
			t.Fatalf("delivery record %+v", d)
		}
	}
}

// TestReceiverDownThenUpLosesNothing: while the receiver's port is closed
// the notifier retries with backoff; once it is back every event arrives,
// once each and in order.
func TestReceiverDownThenUpLosesNothing(t *testing.T) {
	h := newHarness(t)
	rcv := notifytest.Start(t, "s3cret")
	h.term(receiverFor(rcv, "ops"))
	h.started("ops")
	rcv.Down()
	var want []string
	for i := range 3 {
		want = append(want, wal.EventID(h.log.append(event(i)).Main, 0))
	}
	waitFor(t, "retries while down", func() bool { return h.counter("ovi_notifications_retries_total", "ops") >= 3 })
	rcv.Up(t)
	if err := rcv.Wait(waitLong, accepted(rcv, 3)); err != nil {
		t.Fatal(err)
	}
	if got := ids(rcv.Accepted()); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	waitFor(t, "sent counter", func() bool { return h.counter("ovi_notifications_sent_total", "ops") == 3 })
	if d := h.log.deliveries()[1]; d.Attempts < 2 || d.Outcome != wal.DeliveryDelivered {
		t.Fatalf("first delivery record %+v: want delivered after retries", d)
	}
	if f := h.counter("ovi_notifications_failed_total", "ops"); f != 0 {
		t.Fatalf("failed %v", f)
	}
}

// TestGivesUpWithinTheBound: a status not worth retrying fails at once;
// a server error is retried until the attempts run out. Both are recorded
// as failed, so no later leader tries them again.
func TestGivesUpWithinTheBound(t *testing.T) {
	h := newHarness(t)
	rcv := notifytest.Start(t, "s3cret")
	r := receiverFor(rcv, "ops")
	r.Retry.Attempts = 3
	h.term(r)
	h.started("ops")
	rcv.SetStatus(http.StatusBadRequest)
	h.log.append(event(1))
	waitFor(t, "first failure", func() bool { return len(h.log.deliveries()) == 2 })
	rcv.SetStatus(http.StatusServiceUnavailable)
	h.log.append(event(2))
	waitFor(t, "second failure", func() bool { return len(h.log.deliveries()) == 3 })
	d := h.log.deliveries()
	if d[1].Outcome != wal.DeliveryFailed || d[1].Attempts != 1 || d[1].Status != 400 {
		t.Fatalf("400: %+v, want failed after 1 attempt", d[1])
	}
	if d[2].Outcome != wal.DeliveryFailed || d[2].Attempts != 3 || d[2].Status != 503 || !strings.Contains(d[2].Error, "503") {
		t.Fatalf("503: %+v, want failed after 3 attempts", d[2])
	}
	if got := len(rcv.Requests()); got != 4 {
		t.Fatalf("%d requests, want 1 + 3", got)
	}
	if f, r := h.counter("ovi_notifications_failed_total", "ops"), h.counter("ovi_notifications_retries_total", "ops"); f != 2 || r != 2 {
		t.Fatalf("failed %v retried %v, want 2 and 2", f, r)
	}
	if !strings.Contains(h.out.String(), "giving up on the event") {
		t.Fatalf("no log line for the failure:\n%s", h.out)
	}
}

// TestFullQueueDropsCountsAndLogs: with the sender stuck on one event, a
// queue of one takes one more; the rest are dropped, counted and logged.
func TestFullQueueDropsCountsAndLogs(t *testing.T) {
	h := newHarness(t)
	rcv := notifytest.Start(t, "s3cret")
	rcv.SetStatus(http.StatusServiceUnavailable)
	r := receiverFor(rcv, "ops")
	r.QueueSize, r.Retry.InitialBackoff, r.Retry.MaxBackoff = 1, time.Hour, time.Hour
	h.term(r)
	h.started("ops")
	h.log.append(event(1))
	if err := rcv.Wait(waitLong, func(q []notifytest.Request) bool { return len(q) == 1 }); err != nil {
		t.Fatal(err)
	}
	h.log.append(event(2), event(3), event(4))
	waitFor(t, "two drops", func() bool { return h.counter("ovi_notifications_dropped_total", "ops") == 2 })
	if !strings.Contains(h.out.String(), "notification dropped: the receiver's queue is full") {
		t.Fatalf("no log line for the drop:\n%s", h.out)
	}
}

// TestNewLeaderResumesAfterProgress: a second term (a new leader) sends
// only what the first did not deliver.
func TestNewLeaderResumesAfterProgress(t *testing.T) {
	h := newHarness(t)
	rcv := notifytest.Start(t, "s3cret")
	_, stop := h.term(receiverFor(rcv, "ops"))
	h.started("ops")
	h.log.append(event(1), event(2))
	if err := rcv.Wait(waitLong, accepted(rcv, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "progress of both", func() bool { return len(h.log.deliveries()) == 3 })
	stop()
	last := h.log.append(event(3), event(4)) // committed between terms
	h.term(receiverFor(rcv, "ops"))
	if err := rcv.Wait(waitLong, accepted(rcv, 4)); err != nil {
		t.Fatal(err)
	}
	got := ids(rcv.Accepted())
	if want := []string{"2.0", "3.0", wal.EventID(last.Main-1, 0), wal.EventID(last.Main, 0)}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v (no repeats)", got, want)
	}
}

// TestUnrecordedDeliveryIsSentAgain is the documented window: a leader
// that sent an event but could not record it (it died, or lost
// leadership, in between) leaves it to the next leader, which sends that
// event again with the same id, and nothing else twice.
func TestUnrecordedDeliveryIsSentAgain(t *testing.T) {
	h := newHarness(t)
	rcv := notifytest.Start(t, "s3cret")
	_, stop := h.term(receiverFor(rcv, "ops"))
	h.started("ops")
	h.log.append(event(1))
	if err := rcv.Wait(waitLong, accepted(rcv, 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first delivery record", func() bool { return len(h.log.deliveries()) == 2 })
	h.log.set(func(l *memLog) { l.refuse = true })
	h.log.append(event(2))
	if err := rcv.Wait(waitLong, accepted(rcv, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused record logged", func() bool { return strings.Contains(h.out.String(), "delivery progress not recorded") })
	stop()
	h.log.set(func(l *memLog) { l.refuse = false })
	h.term(receiverFor(rcv, "ops"))
	if err := rcv.Wait(waitLong, accepted(rcv, 3)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resend recorded", func() bool { return len(h.log.deliveries()) == 3 })
	if got, want := ids(rcv.Accepted()), []string{"2.0", "4.0", "4.0"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

// TestFilterAndReload: a receiver gets only the types it lists; a receiver
// added by a reload starts after what was committed then, and the others
// go on without repeats.
func TestFilterAndReload(t *testing.T) {
	h := newHarness(t)
	ops, audit := notifytest.Start(t, "s3cret"), notifytest.Start(t, "s3cret")
	onlyFailed := receiverFor(ops, "ops")
	onlyFailed.Events = []notify.EventType{notify.ActionFailed}
	n, _ := h.term(onlyFailed)
	h.started("ops")
	fail := event(1)
	fail.Kind, fail.Decided = wal.KindFailed, nil
	fail.Failed = &wal.Failed{Action: wal.ActionDelete, Code: "UnauthorizedOperation", Message: "denied"}
	h.log.append(event(2), fail)
	if err := ops.Wait(waitLong, accepted(ops, 1)); err != nil {
		t.Fatal(err)
	}
	n.SetReceivers([]notify.Receiver{onlyFailed, receiverFor(audit, "audit")})
	h.started("audit")
	h.log.append(event(3), fail)
	if err := audit.Wait(waitLong, accepted(audit, 2)); err != nil {
		t.Fatal(err)
	}
	if err := ops.Wait(waitLong, accepted(ops, 2)); err != nil {
		t.Fatal(err)
	}
	for _, e := range ops.Accepted() {
		if e.Type != notify.ActionFailed {
			t.Fatalf("ops got %s", e.Type)
		}
	}
	if got := ids(audit.Accepted()); len(got) != 2 || got[0] == "3.0" {
		t.Fatalf("audit got %v: want only the events after it was added", got)
	}
}

// TestPausedUntilEveryServerReadsDeliveries: with an older server in the
// cluster nothing is sent (it could not be recorded).
func TestPausedUntilEveryServerReadsDeliveries(t *testing.T) {
	h := newHarness(t)
	h.log.set(func(l *memLog) { l.recordable = false })
	rcv := notifytest.Start(t, "s3cret")
	h.term(receiverFor(rcv, "ops"))
	waitFor(t, "the pause logged", func() bool { return strings.Contains(h.out.String(), "notifications paused") })
	h.log.append(event(1))
	if p, _ := h.log.Progress("ops"); p != nil || len(rcv.Requests()) != 0 {
		t.Fatalf("sent or recorded while paused: %+v, %d requests", p, len(rcv.Requests()))
	}
	h.log.set(func(l *memLog) { l.recordable = true })
	h.started("ops")
	h.log.append(event(2))
	if err := rcv.Wait(waitLong, accepted(rcv, 1)); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
