package wal

import (
	"errors"
	"reflect"
	"testing"
)

// The protect action is format 5: it round-trips there, and a leader
// writing format 4 for an older node refuses it (a format 4 node fails to
// decode an action it does not know) rather than send it.
func TestProtectActionNeedsFormat5(t *testing.T) {
	dec := header(KindDecided)
	dec.ResourceID = "i-0123456789abcdef0"
	dec.Decided = &Decided{Action: ActionProtect, Drift: DriftDrifted, ResourceKind: ResourceInstance, Group: "db",
		Reason: "Protect: tagged ovi:blessed, but EC2 termination protection (DisableApiTermination) is off"}
	exe := header(KindExecuted)
	exe.Executed = &Executed{Action: ActionProtect, Message: "Termination protection on", ResourceIDs: []string{"i-0123456789abcdef0"}}
	for _, rec := range []Record{dec, exe} {
		b, err := EncodeRecord(nil, &rec)
		if err != nil {
			t.Fatalf("encode %s: %v", rec.Kind, err)
		}
		got, err := DecodeRecord(b)
		if err != nil {
			t.Fatalf("decode %s: %v", rec.Kind, err)
		}
		if want := normalise(rec); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s round trip\n got %+v\nwant %+v", rec.Kind, got, want)
		}
		if _, err := EncodeRecordAs(nil, &rec, FormatV4); !errors.Is(err, ErrNeedsFormat) {
			t.Fatalf("%s with protect in format 4: %v, want ErrNeedsFormat", rec.Kind, err)
		}
	}
	if a, err := ParseAction("protect"); err != nil || a != ActionProtect {
		t.Fatalf(`ParseAction("protect") = %v, %v`, a, err)
	}
}
