package wal

import "fmt"

// DeliveryOutcome says what the leader's notifier did with one event for
// one receiver. Stored as one byte; never renumber, only append.
type DeliveryOutcome uint8

// Delivery outcomes.
const (
	// DeliveryStart is a receiver's starting point: the first leader that
	// serves it records the revision it starts after, so every later
	// leader sends the same events (and none from before it existed).
	DeliveryStart DeliveryOutcome = 1
	// DeliveryDelivered: the receiver answered 2xx.
	DeliveryDelivered DeliveryOutcome = 2
	// DeliveryFailed: the notifier gave up on the event (every attempt
	// failed, or the receiver answered a status not worth retrying).
	DeliveryFailed DeliveryOutcome = 3

	lastDeliveryOutcome = DeliveryFailed
)

// Delivery is the payload of KindDelivery: the leader's progress in
// delivering notifications to one receiver. The event is the record at
// revision {Revision, Sub} (its id is "Revision.Sub"). A new leader
// resumes each receiver after the event of its latest delivery record, so
// it does not send again what an earlier leader delivered or gave up on.
type Delivery struct {
	Receiver string          `json:"receiver"`
	Revision uint64          `json:"revision"`
	Sub      uint32          `json:"sub"`
	Outcome  DeliveryOutcome `json:"outcome"`
	Attempts int             `json:"attempts"`        // HTTP requests made for the event
	Status   int             `json:"status"`          // the last HTTP status (0: no answer)
	Error    string          `json:"error,omitempty"` // why the last attempt failed, one line
}

// Valid reports whether o is a known outcome.
func (o DeliveryOutcome) Valid() bool { return o >= DeliveryStart && o <= lastDeliveryOutcome }

// String returns the outcome's stable name.
func (o DeliveryOutcome) String() string {
	switch o {
	case DeliveryStart:
		return "start"
	case DeliveryDelivered:
		return "delivered"
	case DeliveryFailed:
		return "failed"
	}
	return fmt.Sprintf("delivery(%d)", uint8(o))
}

// ParseDeliveryOutcome turns a name produced by String back into an outcome.
func ParseDeliveryOutcome(s string) (DeliveryOutcome, error) {
	for o := DeliveryStart; o <= lastDeliveryOutcome; o++ {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown delivery outcome %q (want one of start, delivered, failed)", s)
}

// MarshalText implements encoding.TextMarshaler (JSON shows the name).
func (o DeliveryOutcome) MarshalText() ([]byte, error) {
	if !o.Valid() {
		return nil, fmt.Errorf("wal: invalid delivery outcome %d", uint8(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *DeliveryOutcome) UnmarshalText(b []byte) error {
	parsed, err := ParseDeliveryOutcome(string(b))
	if err != nil {
		return err
	}
	*o = parsed
	return nil
}

// EventID is the notification event id of the record at revision
// {main, sub}: "main.sub".
func EventID(main uint64, sub uint32) string { return fmt.Sprintf("%d.%d", main, sub) }

func (e *encoder) delivery(p *Delivery) {
	e.str("delivery.receiver", p.Receiver)
	e.uvarint(p.Revision)
	e.uvarint(uint64(p.Sub))
	e.u8(uint8(p.Outcome))
	e.int(p.Attempts)
	e.int(p.Status)
	e.str("delivery.error", p.Error)
}

func (d *decoder) delivery() *Delivery {
	p := &Delivery{Receiver: d.str("delivery.receiver"), Revision: d.uvarint("delivery.revision")}
	sub := d.uvarint("delivery.sub")
	if d.err == nil && sub > 1<<32-1 {
		d.fail("delivery.sub", fmt.Sprintf("sub-revision %d out of range", sub))
	}
	p.Sub = uint32(sub)
	p.Outcome = DeliveryOutcome(d.u8("delivery.outcome"))
	if d.err == nil && !p.Outcome.Valid() {
		d.fail("delivery.outcome", fmt.Sprintf("unknown delivery outcome %d", uint8(p.Outcome)))
	}
	p.Attempts = d.int("delivery.attempts")
	p.Status = d.int("delivery.status")
	p.Error = d.str("delivery.error")
	return p
}

func describeDelivery(p *Delivery) string {
	id := EventID(p.Revision, p.Sub)
	switch p.Outcome {
	case DeliveryStart:
		return fmt.Sprintf("Notifications to %s start after revision %s", p.Receiver, id)
	case DeliveryDelivered:
		return fmt.Sprintf("Event %s delivered to %s (HTTP %d, %d attempts)", id, p.Receiver, p.Status, p.Attempts)
	}
	s := fmt.Sprintf("Event %s not delivered to %s after %d attempts", id, p.Receiver, p.Attempts)
	if p.Error != "" {
		s += ": " + p.Error
	}
	return s
}
