package wal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestDeliveryNeedsFormatV5: a leader still writing format 4 for an older
// node refuses the delivery kind (ErrNeedsFormat), and format 4 bytes
// carrying it are corrupt: an older node never sees it silently.
func TestDeliveryNeedsFormatV5(t *testing.T) {
	r := fullRecords()[KindDelivery-1]
	if _, err := EncodeRecordAs(nil, &r, FormatV4); !errors.Is(err, ErrNeedsFormat) {
		t.Fatalf("delivery as format 4: %v, want ErrNeedsFormat", err)
	}
	data := mustEncode(t, &r)
	data[0] = FormatV4
	if _, err := DecodeRecord(data); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("delivery in format 4 bytes: %v, want ErrCorrupt", err)
	}
}

// TestDeliveryRejectsUnknownOutcome: an outcome byte this build does not
// know is corrupt data, and Validate refuses to encode it.
func TestDeliveryRejectsUnknownOutcome(t *testing.T) {
	r := fullRecords()[KindDelivery-1]
	d := *r.Delivery
	d.Outcome = lastDeliveryOutcome + 1
	r.Delivery = &d
	if _, err := EncodeRecord(nil, &r); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("encode unknown outcome: %v, want ErrInvalidRecord", err)
	}
	good := fullRecords()[KindDelivery-1]
	data := mustEncode(t, &good)
	i := bytes.LastIndex(data, []byte{byte(DeliveryFailed)})
	data[i] = byte(lastDeliveryOutcome + 1)
	if _, err := DecodeRecord(data); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("decode unknown outcome: %v, want ErrCorrupt", err)
	}
}

func TestDeliveryOutcomeText(t *testing.T) {
	for o := DeliveryStart; o <= lastDeliveryOutcome; o++ {
		b, err := o.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back DeliveryOutcome
		if err := back.UnmarshalText(b); err != nil || back != o {
			t.Fatalf("%s: text round trip gave %v (%v)", o, back, err)
		}
	}
	if _, err := ParseDeliveryOutcome("sent"); err == nil || !strings.Contains(err.Error(), "want one of start, delivered, failed") {
		t.Fatalf("unknown outcome: %v", err)
	}
	if got := EventID(1042, 3); got != "1042.3" {
		t.Fatalf("EventID = %q", got)
	}
}
