package main

import (
	"log/slog"
	"testing"
	"time"
)

func TestTestClockOffsetFromEnv(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == envTestClockOffset {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]time.Duration{"": 0, "-2h": -2 * time.Hour, "90s": 90 * time.Second} {
		got, err := testClockOffset(env(v), logger)
		if err != nil || got != want {
			t.Errorf("%s=%q: %v, %v (want %v)", envTestClockOffset, v, got, err, want)
		}
	}
	if _, err := testClockOffset(env("two hours"), logger); err == nil {
		t.Error("a bad offset was accepted")
	}
}
