package wal

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestActionNames(t *testing.T) {
	want := []string{"create", "delete", "update-tags", "resize", "refuse", "hold", "report", "authorize", "revoke", "start", "modify", "attach", "detach", "adopt", "protect"}
	for i, name := range want {
		a := Action(i + 1)
		checkName(t, a.String(), name, a.Valid())
		parsed, err := ParseAction(name)
		if err != nil || parsed != a {
			t.Errorf("ParseAction(%q) = %v, %v; want %v", name, parsed, err, a)
		}
		checkText(t, a, name)
	}
	checkInvalid(t, Action(0), Action(16))
	if _, err := ParseAction("Delete"); err == nil || !strings.Contains(err.Error(), "update-tags") {
		t.Errorf("ParseAction(Delete) = %v, want an error listing the names", err)
	}
}

func TestDriftNames(t *testing.T) {
	want := []string{"in-sync", "missing", "unwanted", "drifted", "unmanaged"}
	for i, name := range want {
		d := Drift(i + 1)
		checkName(t, d.String(), name, d.Valid())
		parsed, err := ParseDrift(name)
		if err != nil || parsed != d {
			t.Errorf("ParseDrift(%q) = %v, %v; want %v", name, parsed, err, d)
		}
		checkText(t, d, name)
	}
	checkInvalid(t, Drift(0), Drift(6))
	if _, err := ParseDrift(""); err == nil {
		t.Error("ParseDrift(\"\") succeeded")
	}
}

func TestObservedChangeNames(t *testing.T) {
	want := []string{"new", "updated", "gone"}
	for i, name := range want {
		c := ObservedChange(i + 1)
		checkName(t, c.String(), name, c.Valid())
		parsed, err := ParseObservedChange(name)
		if err != nil || parsed != c {
			t.Errorf("ParseObservedChange(%q) = %v, %v; want %v", name, parsed, err, c)
		}
		checkText(t, c, name)
	}
	checkInvalid(t, ObservedChange(0), ObservedChange(4))
	if _, err := ParseObservedChange("deleted"); err == nil {
		t.Error("ParseObservedChange(deleted) succeeded")
	}
}

func checkName(t *testing.T, got, want string, valid bool) {
	t.Helper()
	if got != want || !valid {
		t.Errorf("String() = %q (valid %v), want %q (valid)", got, valid, want)
	}
}

type textEnum interface {
	MarshalText() ([]byte, error)
	String() string
}

// checkText checks MarshalText and that UnmarshalText (via JSON) parses it back.
func checkText(t *testing.T, v textEnum, name string) {
	t.Helper()
	b, err := v.MarshalText()
	if err != nil || string(b) != name {
		t.Errorf("MarshalText(%v) = %q, %v; want %q", v, b, err, name)
	}
	var back struct {
		A Action
		D Drift
		C ObservedChange
	}
	quoted, _ := json.Marshal(name)
	var target any
	switch v.(type) {
	case Action:
		target = &back.A
	case Drift:
		target = &back.D
	case ObservedChange:
		target = &back.C
	}
	if err := json.Unmarshal(quoted, target); err != nil {
		t.Errorf("UnmarshalText(%q): %v", name, err)
	}
	if got := target.(interface{ String() string }).String(); got != name {
		t.Errorf("UnmarshalText(%q) gave %q", name, got)
	}
}

func checkInvalid(t *testing.T, vs ...textEnum) {
	t.Helper()
	for _, v := range vs {
		if _, err := v.MarshalText(); err == nil {
			t.Errorf("MarshalText(%s) succeeded for an invalid value", v)
		}
		if !strings.Contains(v.String(), "(") {
			t.Errorf("String() of invalid value = %q, want a numbered form", v)
		}
	}
}

func TestUnmarshalTextRejectsUnknown(t *testing.T) {
	var a Action
	var d Drift
	var c ObservedChange
	for _, err := range []error{a.UnmarshalText([]byte("nuke")), d.UnmarshalText([]byte("x")), c.UnmarshalText([]byte("x"))} {
		if err == nil || !strings.HasPrefix(err.Error(), "wal: ") {
			t.Errorf("UnmarshalText(unknown) = %v, want a wal: error", err)
		}
	}
	if a != 0 || d != 0 || c != 0 {
		t.Errorf("failed UnmarshalText changed the value: %v %v %v", a, d, c)
	}
}

func TestRecordJSONShowsNames(t *testing.T) {
	for _, r := range fullRecords() {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		var back Record
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: unmarshal: %v", r.Kind, err)
		}
		if back.Describe() != r.Describe() || back.Kind != r.Kind {
			t.Errorf("%s: JSON round trip changed the record: %s", r.Kind, b)
		}
	}
	dec := fullRecords()[KindDecided-1]
	b, _ := json.Marshal(dec)
	for _, want := range []string{`"kind":"decided"`, `"action":"update-tags"`, `"drift":"drifted"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("decided JSON lacks %s: %s", want, b)
		}
	}
}

func TestValidateRejectsInvalidEnums(t *testing.T) {
	r := header(KindObserved)
	r.Observed = &Observed{}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "unknown change(0)") {
		t.Fatalf("Validate = %v, want unknown change(0)", err)
	}
}
