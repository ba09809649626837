package engine

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/yairfalse/ovi/reconcile"
)

func TestParseFailpoint(t *testing.T) {
	good := map[string]failpointSpec{
		"before-intent":   {name: reconcile.FailpointBeforeIntent, nth: 1},
		"after-intent":    {name: reconcile.FailpointAfterIntent, nth: 1},
		"after-call:3":    {name: reconcile.FailpointAfterCall, nth: 3},
		" after-outcome ": {name: reconcile.FailpointAfterOutcome, nth: 1},
	}
	for in, want := range good {
		got, err := parseFailpoint(in)
		if err != nil || got != want {
			t.Errorf("parseFailpoint(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "after", "after-call:0", "after-call:-1", "after-call:x", "after-call:"} {
		if _, err := parseFailpoint(in); !errors.Is(err, errFailpoint) {
			t.Errorf("parseFailpoint(%q) = %v, want errFailpoint", in, err)
		}
	}
}

// fakeEnv is a fake environment.
func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// armed builds the hook with a kill that counts instead of killing.
func armed(t *testing.T, vars map[string]string) (func(string), *int) {
	t.Helper()
	fp, err := newFailpoints(fakeEnv(vars), slog.New(slog.DiscardHandler))
	if err != nil || fp == nil {
		t.Fatalf("newFailpoints = %v, %v", fp, err)
	}
	kills := new(int)
	fp.kill = func() { *kills++ }
	return fp.hit, kills
}

func TestFailpointAbsentIsNil(t *testing.T) {
	hook, err := failpointFromEnv(fakeEnv(nil), slog.New(slog.DiscardHandler))
	if err != nil || hook != nil {
		t.Fatalf("no variables: hook set = %v, err = %v", hook != nil, err)
	}
	if _, err := failpointFromEnv(fakeEnv(map[string]string{envFailpoint: "nowhere"}), slog.New(slog.DiscardHandler)); !errors.Is(err, errFailpoint) {
		t.Fatalf("bad OVI_FAILPOINT: %v", err)
	}
}

func TestFailpointFiresOnTheNthHitOnly(t *testing.T) {
	hook, kills := armed(t, map[string]string{envFailpoint: "after-call:2"})
	hook(reconcile.FailpointAfterIntent)
	hook(reconcile.FailpointAfterCall)
	if *kills != 0 {
		t.Fatalf("fired on the first hit")
	}
	hook(reconcile.FailpointAfterIntent)
	hook(reconcile.FailpointAfterCall)
	hook(reconcile.FailpointAfterCall)
	if *kills != 1 {
		t.Fatalf("kills = %d, want 1 (the second after-call only)", *kills)
	}
}

func TestFailpointFileArmsARunningAgent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "fp")
	hook, kills := armed(t, map[string]string{envFailpointFile: file})
	hook(reconcile.FailpointAfterIntent) // missing file: disarmed
	if err := os.WriteFile(file, []byte("after-intent:2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook(reconcile.FailpointAfterIntent)
	hook(reconcile.FailpointAfterCall)
	if *kills != 0 {
		t.Fatal("fired before the second hit after arming")
	}
	hook(reconcile.FailpointAfterIntent)
	if *kills != 1 {
		t.Fatalf("kills = %d, want 1", *kills)
	}
	if err := os.WriteFile(file, []byte(""), 0o600); err != nil {
		t.Fatal(err)
	}
	hook(reconcile.FailpointAfterIntent)
	hook(reconcile.FailpointAfterIntent)
	if *kills != 1 {
		t.Fatalf("disarmed file still fires: kills = %d", *kills)
	}
	if err := os.WriteFile(file, []byte("bogus"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook(reconcile.FailpointAfterIntent) // a bad file is logged and ignored
	if *kills != 1 {
		t.Fatalf("bad file fired: kills = %d", *kills)
	}
}
