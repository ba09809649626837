package fsm

import "github.com/yairfalse/ovi/wal"

// PrefixDeliveries holds one register per notification receiver:
//
//	deliveries/<receiver>   latest KindDelivery record of that receiver
//
// A new leader reads it to resume each receiver after the last event an
// earlier leader delivered or gave up on.
const PrefixDeliveries = "deliveries/"

// DeliveryKey is the key of a receiver's delivery register.
func DeliveryKey(receiver string) string { return PrefixDeliveries + receiver }

// applyDelivery keeps the receiver's latest delivery progress.
func applyDelivery(b *builder, rec *wal.Record) error {
	if err := checkID("receiver", PrefixDeliveries, rec.Delivery.Receiver); err != nil {
		return err
	}
	b.put(DeliveryKey(rec.Delivery.Receiver))
	return nil
}

// Delivery returns the latest delivery record of receiver at rev (0: the
// current revision), or nil when no leader has served the receiver yet.
func (f *FSM) Delivery(receiver string, rev uint64) (*wal.Delivery, error) {
	rec, _, err := f.getRecord(DeliveryKey(receiver), rev, wal.KindDelivery)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec.Delivery, nil
}
