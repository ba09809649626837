package fsm

import (
	"errors"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

func deliveryRec(receiver string, rev uint64, outcome wal.DeliveryOutcome, n int) wal.Record {
	r := header(wal.KindDelivery, "", "", n)
	r.Delivery = &wal.Delivery{Receiver: receiver, Revision: rev, Outcome: outcome, Attempts: 1, Status: 200}
	return r
}

// TestDeliveryRegisterKeepsTheLatestPerReceiver: each receiver's register
// holds its latest delivery record, independently of the others; earlier
// revisions still read the earlier progress.
func TestDeliveryRegisterKeepsTheLatestPerReceiver(t *testing.T) {
	f, _ := newTestFSM(t)
	applyOK(t, f, cmdLog(t, 1, deliveryRec("ops", 0, wal.DeliveryStart, 1)))
	applyOK(t, f, cmdLog(t, 2, deliveryRec("ops", 5, wal.DeliveryDelivered, 2), deliveryRec("audit", 5, wal.DeliveryFailed, 2)))
	applyOK(t, f, cmdLog(t, 3, deliveryRec("ops", 7, wal.DeliveryDelivered, 3)))
	got, err := f.Delivery("ops", 0)
	if err != nil || got == nil || got.Revision != 7 || got.Outcome != wal.DeliveryDelivered {
		t.Fatalf("ops now: %+v (%v), want delivered through 7", got, err)
	}
	if got, err := f.Delivery("ops", 2); err != nil || got == nil || got.Revision != 5 {
		t.Fatalf("ops at revision 2: %+v (%v), want 5", got, err)
	}
	if got, err := f.Delivery("audit", 0); err != nil || got == nil || got.Outcome != wal.DeliveryFailed {
		t.Fatalf("audit: %+v (%v), want failed", got, err)
	}
	if got, err := f.Delivery("never", 0); err != nil || got != nil {
		t.Fatalf("unknown receiver: %+v (%v), want nil", got, err)
	}
}

// TestDeliveryWithoutReceiverIsInvalid: the register needs a receiver name.
func TestDeliveryWithoutReceiverIsInvalid(t *testing.T) {
	f, _ := newTestFSM(t)
	res := results(t, []any{f.Apply(cmdLog(t, 1, deliveryRec("", 1, wal.DeliveryDelivered, 1)))})
	if !errors.Is(res[0].Err, ErrInvalidRecord) {
		t.Fatalf("delivery without receiver: %v, want ErrInvalidRecord", res[0].Err)
	}
}
