package notify_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/cluster/notify/notifytest"
	"github.com/yairfalse/ovi/wal"
)

// inFlight is a term sending to "ops" whose first event's request waits
// for its answer (the receiver holds it).
func inFlight(t *testing.T) (*harness, *notifytest.Receiver, *notify.Notifier, notify.Position) {
	t.Helper()
	h := newHarness(t)
	rcv := notifytest.Start(t, "s3cret")
	n, _ := h.term(receiverFor(rcv, "ops"))
	h.started("ops")
	rcv.Hold()
	first := h.log.append(event(1))
	if err := rcv.Wait(waitLong, func(reqs []notifytest.Request) bool { return len(reqs) == 1 }); err != nil {
		t.Fatal(err)
	}
	return h, rcv, n, first
}

// TestHoldResumesFromTheRecordedProgress: Hold returns only once the
// request in flight was answered and its delivery recorded; while held,
// the state is replaced as a snapshot restore replaces it (the receiver's
// progress now says a later event was delivered); after release the
// notifier resumes from that progress, not from where it was — the event
// the restored state records delivered is not sent.
func TestHoldResumesFromTheRecordedProgress(t *testing.T) {
	h, rcv, n, first := inFlight(t)
	held := make(chan func())
	go func() {
		release, err := n.Hold(context.Background())
		if err != nil {
			t.Error(err)
		}
		held <- release
	}()
	rcv.Release()
	release := <-held
	if d, _ := h.log.Progress("ops"); d == nil || d.Revision != first.Main || d.Outcome != wal.DeliveryDelivered {
		t.Fatalf("Hold returned with progress %+v: want the request in flight (%s) answered and recorded", d, wal.EventID(first.Main, 0))
	}
	skipped := h.log.append(event(2))
	h.log.set(func(l *memLog) {
		l.progress["ops"] = wal.Delivery{Receiver: "ops", Revision: skipped.Main, Outcome: wal.DeliveryDelivered}
	})
	last := h.log.append(event(3))
	release()
	if err := rcv.Wait(waitLong, accepted(rcv, 2)); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(rcv.Accepted()), []string{wal.EventID(first.Main, 0), wal.EventID(last.Main, 0)}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v (event %s is recorded delivered)", got, want, wal.EventID(skipped.Main, 0))
	}
}

// TestHoldGivesUpWithItsContext: Hold while a request waits for its
// answer returns ctx's error and holds nothing: the request is answered
// and recorded, and later events are sent.
func TestHoldGivesUpWithItsContext(t *testing.T) {
	h, rcv, n, _ := inFlight(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if release, err := n.Hold(ctx); !errors.Is(err, context.Canceled) || release != nil {
		t.Fatalf("Hold with a done context while a request is in flight: %v", err)
	}
	rcv.Release()
	h.log.append(event(2))
	if err := rcv.Wait(waitLong, accepted(rcv, 2)); err != nil {
		t.Fatalf("after a Hold that gave up: %v (accepted %v)", err, ids(rcv.Accepted()))
	}
}
