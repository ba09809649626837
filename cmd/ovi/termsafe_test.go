package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// hostile is what an attacker with ec2:CreateTags (or a note's author)
// writes: clear the screen, retitle the window (OSC … BEL), a right-to-left
// override, a NUL, a carriage return, a newline, the 8-bit CSI (U+009B)
// and a byte that is not UTF-8.
const hostile = "\x1b[2J\x1b]0;pwned\x07\u202egpj.exe\x00\r\n\u009b31m\xff"

// hostileShown is how termSafe shows it.
const hostileShown = `\x1b[2J\x1b]0;pwned\x07\u202egpj.exe\x00\r\n\u009b31m\xff`

func TestTermSafe(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"i-0abc team=web", "i-0abc team=web"},
		{`C:\path\x1b`, `C:\path\x1b`},
		{"ünïcode → ✓ \uFFFD", "ünïcode → ✓ \uFFFD"},
		{hostile, hostileShown},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"tab\there", `tab\there`},
		{"\x7f\u0085", `\x7f\u0085`},
		{"\u061c\u200e\u200f\u2028\u2029", `\u061c\u200e\u200f\u2028\u2029`},
		{"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069`},
		{"ok\xc3", `ok\xc3`},
	}
	for _, c := range cases {
		if got := termSafe(c.in); got != c.want {
			t.Errorf("termSafe(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := termSafe(termSafe(c.in)); again != c.want {
			t.Errorf("termSafe is not idempotent on %q: %q", c.in, again)
		}
	}
}

func TestTerminalSafeCopiesWithoutTouchingTheInput(t *testing.T) {
	rec := wal.Record{Kind: wal.KindObserved, ResourceID: "i-1" + hostile, Time: at(0),
		Observed: &wal.Observed{Resource: wal.Resource{ID: "i-1", Tags: map[string]string{"k" + hostile: "v" + hostile}}}}
	before := fmt.Sprintf("%#v %#v", rec, *rec.Observed)
	got := terminalSafe(rec)
	if after := fmt.Sprintf("%#v %#v", rec, *rec.Observed); after != before {
		t.Fatal("terminalSafe modified its input")
	}
	if got.ResourceID != "i-1"+hostileShown || got.Observed.Resource.Tags["k"+hostileShown] != "v"+hostileShown {
		t.Fatalf("not escaped: %q %v", got.ResourceID, got.Observed.Resource.Tags)
	}
	if !got.Time.Equal(rec.Time) || got.Kind != rec.Kind {
		t.Fatal("terminalSafe lost a non-string field")
	}
	var nilRec *wal.Record
	if terminalSafe(nilRec) != nil {
		t.Fatal("a nil pointer must stay nil")
	}
}

// TestGoldenHostileTagAndNote renders a hostile tag value (state) and a
// hostile note (wal replay) through the real renderers: the terminal gets
// the escapes as visible text, and the JSON forms carry the exact bytes.
func TestGoldenHostileTagAndNote(t *testing.T) {
	s := stateFixture()
	s.Resources = s.Resources[:1]
	s.Resources[0].Tags["owner"] = hostile
	var out bytes.Buffer
	if err := renderState(&out, tableOptions(), s); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "state_hostile_tag_table", out.Bytes())
	assertNoTerminalControls(t, "state", out.String())
	if !strings.Contains(out.String(), "owner="+hostileShown) {
		t.Fatalf("hostile tag not shown escaped:\n%s", out.String())
	}
	out.Reset()
	if err := renderState(&out, jsonOptions(), s); err != nil {
		t.Fatal(err)
	}
	var back stateView
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Resources[0].Tags["owner"] != strings.ToValidUTF8(hostile, "\uFFFD") {
		t.Fatalf("JSON does not carry the exact tag (err %v): %q", err, back.Resources[0].Tags["owner"])
	}

	note := entry(70, 0, wal.Record{Kind: wal.KindNote, ResourceID: "i-123456", Time: at(0), Node: "ovi-1", Term: 3,
		Note: &wal.Note{Text: "deploy ok" + hostile}})
	out.Reset()
	if err := renderReplay(&out, tableOptions(), []walEntry{note}, true); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "replay_hostile_note_table", out.Bytes())
	assertNoTerminalControls(t, "replay", out.String())
	if want := "70  10:30:00 [note]      i-123456: deploy ok" + hostileShown + "\n"; out.String() != want {
		t.Fatalf("replay line = %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := renderReplay(&out, jsonOptions(), []walEntry{note}, true); err != nil {
		t.Fatal(err)
	}
	var e walEntry
	if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.Record.Note.Text != strings.ToValidUTF8("deploy ok"+hostile, "\uFFFD") {
		t.Fatalf("NDJSON does not carry the exact note (err %v)", err)
	}
}

// TestEveryRendererEscapesEveryString poisons every string of every
// renderer's fixture (ids, names, tags keys and values, reasons, messages,
// notes, addresses) and renders it in colour: apart from the renderers'
// own colour codes, nothing that acts on a terminal may come out.
func TestEveryRendererEscapesEveryString(t *testing.T) {
	o := tableOptions()
	o.style = style{color: true}
	decided, all := applyFixture()
	plan, summary := planFixture(false)
	renders := map[string]func(w *bytes.Buffer) error{
		"state":   func(w *bytes.Buffer) error { return renderState(w, o, poison(stateFixture())) },
		"history": func(w *bytes.Buffer) error { return renderHistory(w, o, poison(historyFixture())) },
		"diff":    func(w *bytes.Buffer) error { return renderDiff(w, o, poison(diffFixture())) },
		"replay":  func(w *bytes.Buffer) error { return renderReplay(w, o, poison(cycleFixture()), true) },
		"plan": func(w *bytes.Buffer) error {
			_, err := renderPlan(w, o, poison(plan), poison(summary))
			return err
		},
		"apply": func(w *bytes.Buffer) error {
			p := newApplyProgress(w, o, poison(decided))
			for _, rec := range poison(all) {
				if err := p.Record(rec); err != nil {
					return err
				}
			}
			_, err := p.Finish()
			return err
		},
		"members": func(w *bytes.Buffer) error { return renderMembers(w, o, poison(membersFixture())) },
		"peers":   func(w *bytes.Buffer) error { return renderRaftPeers(w, o, poison(peersFixture())) },
		"health":  func(w *bytes.Buffer) error { return renderOperatorHealth(w, o, poison(healthFixture())) },
		"timeline": func(w *bytes.Buffer) error {
			return renderTimeline(w, o, buildTimeline("i-0aaa"+hostile, poison(timelineFixture()), o.now))
		},
		"analyze": func(w *bytes.Buffer) error {
			return renderTimelineSummary(w, o, buildTimeline("i-0aaa"+hostile, poison(timelineFixture()), o.now))
		},
		"error": func(w *bytes.Buffer) error {
			reportError(w, newCLIError("read "+hostile, errors.New("cloud says "+hostile), "hint "+hostile))
			return nil
		},
	}
	for name, render := range renders {
		var out bytes.Buffer
		if err := render(&out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		assertNoTerminalControls(t, name, out.String())
		if !strings.Contains(out.String(), `\x1b[2J\x1b]0;pwned\x07\u202e`) {
			t.Errorf("%s: the hostile text is not shown escaped:\n%s", name, out.String())
		}
	}
}

// ownColour is a colour code the renderers write themselves.
var ownColour = regexp.MustCompile(`\x1b\[(0|3[1-9]|90)m`)

// assertNoTerminalControls fails if s, less the renderers' own colour
// codes, holds a control character other than the line ends, a bidi
// control, a line or paragraph separator, or a byte that is not UTF-8.
func assertNoTerminalControls(t *testing.T, what, s string) {
	t.Helper()
	s = ownColour.ReplaceAllString(s, "")
	for i, r := range s {
		bad := (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || r == 0x061c || r == 0x200e || r == 0x200f ||
			(r >= 0x2028 && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
			(r == 0xFFFD && !strings.HasPrefix(s[i:], "\uFFFD"))
		if bad {
			t.Fatalf("%s: output holds %U at byte %d:\n%q", what, r, i, s)
		}
	}
}

// poison returns a copy of v with hostile appended to every string, at any
// depth (map keys included).
func poison[T any](v T) T {
	out, _ := poisonValue(reflect.ValueOf(&v).Elem()).Interface().(T)
	return out
}

func poisonValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		out := reflect.New(v.Type()).Elem()
		out.SetString(v.String() + hostile)
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(poisonValue(v.Elem()))
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(poisonValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := reflect.MakeMap(v.Type())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(poisonValue(it.Key()), poisonValue(it.Value()))
		}
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if f := out.Field(i); f.CanSet() && v.Type() != reflect.TypeFor[time.Time]() {
				f.Set(poisonValue(v.Field(i)))
			}
		}
		return out
	}
	return v
}
