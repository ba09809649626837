package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTimeExpr(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load location: %v", err)
	}
	// 2026-11-25 10:30:00 UTC is 11:30:00 in Berlin (CET, +01:00).
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		expr string
		loc  *time.Location
		want time.Time
	}{
		{"now", time.UTC, now},
		{"  NOW ", time.UTC, now},
		{"30m", time.UTC, now.Add(-30 * time.Minute)},
		{"1h30m", time.UTC, now.Add(-90 * time.Minute)},
		{"90s", time.UTC, now.Add(-90 * time.Second)},
		{"2d", time.UTC, now.Add(-48 * time.Hour)},
		{"1w", time.UTC, now.Add(-7 * 24 * time.Hour)},
		{"1 hour ago", time.UTC, now.Add(-time.Hour)},
		{"an hour ago", time.UTC, now.Add(-time.Hour)},
		{"a day ago", time.UTC, now.Add(-24 * time.Hour)},
		{"1  Hour   Ago", time.UTC, now.Add(-time.Hour)},
		{"5 minutes ago", time.UTC, now.Add(-5 * time.Minute)},
		{"45 sec ago", time.UTC, now.Add(-45 * time.Second)},
		{"2 days ago", time.UTC, now.Add(-48 * time.Hour)},
		{"3 weeks ago", time.UTC, now.Add(-21 * 24 * time.Hour)},
		{"30m ago", time.UTC, now.Add(-30 * time.Minute)},
		{"today", time.UTC, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{"yesterday", time.UTC, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"today", berlin, time.Date(2026, 11, 25, 0, 0, 0, 0, berlin)},
		{"yesterday", berlin, time.Date(2026, 11, 24, 0, 0, 0, 0, berlin)},
		{"15:04", time.UTC, time.Date(2026, 11, 25, 15, 4, 0, 0, time.UTC)},
		{"09:15:30", time.UTC, time.Date(2026, 11, 25, 9, 15, 30, 0, time.UTC)},
		{"09:15", berlin, time.Date(2026, 11, 25, 9, 15, 0, 0, berlin)},
		{"2026-11-20", time.UTC, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{"2026-11-20", berlin, time.Date(2026, 11, 20, 0, 0, 0, 0, berlin)},
		{"2026-11-20 08:00", time.UTC, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
		{"2026-11-20 08:00:05", berlin, time.Date(2026, 11, 20, 8, 0, 5, 0, berlin)},
		{"2026-11-20T08:00:05Z", berlin, time.Date(2026, 11, 20, 8, 0, 5, 0, time.UTC)},
		{"2026-11-20t08:00:05z", time.UTC, time.Date(2026, 11, 20, 8, 0, 5, 0, time.UTC)},
		{"2026-11-20T08:00:05+02:00", time.UTC, time.Date(2026, 11, 20, 6, 0, 5, 0, time.UTC)},
		{"2026-11-20T08:00:05.25Z", time.UTC, time.Date(2026, 11, 20, 8, 0, 5, 250_000_000, time.UTC)},
	}
	for _, tc := range tests {
		got, err := parseTimeExpr(tc.expr, now, tc.loc)
		if err != nil {
			t.Errorf("parseTimeExpr(%q): %v", tc.expr, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("parseTimeExpr(%q, %s) = %s, want %s", tc.expr, tc.loc, got, tc.want)
		}
	}
}

func TestParseTimeExprDaysFollowTheCalendarAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load location: %v", err)
	}
	// Berlin leaves summer time at 03:00 on 2026-10-25; a day before 12:00
	// local on the 25th is 12:00 local on the 24th, 25 hours earlier.
	now := time.Date(2026, 10, 25, 12, 0, 0, 0, berlin)
	got, err := parseTimeExpr("1 day ago", now, berlin)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if want := time.Date(2026, 10, 24, 12, 0, 0, 0, berlin); !got.Equal(want) {
		t.Fatalf("1 day ago = %s, want %s", got, want)
	}
	if d := now.Sub(got); d != 25*time.Hour {
		t.Fatalf("1 day ago spans %s, want 25h", d)
	}
}

func TestParseTimeExprNilLocationMeansLocal(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	got, err := parseTimeExpr("today", now, nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if got.Location() != time.Local {
		t.Fatalf("location = %s, want Local", got.Location())
	}
}

func TestParseTimeExprRejectsWithOneLineListingForms(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	for _, expr := range []string{"", "   ", "soon", "1 fortnight ago", "-5m", "x hours ago", "25:00",
		"2026-13-01", "hour ago", "ago", "1d2", "-2d", "-1 days ago", "tomorrow"} {
		_, err := parseTimeExpr(expr, now, time.UTC)
		if err == nil {
			t.Errorf("parseTimeExpr(%q) succeeded, want an error", expr)
			continue
		}
		if !errors.Is(err, errTimeExpr) {
			t.Errorf("parseTimeExpr(%q) error %v does not wrap errTimeExpr", expr, err)
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("parseTimeExpr(%q) error spans lines: %q", expr, msg)
		}
		for _, form := range []string{"1 hour ago", "yesterday", "RFC3339", "15:04", "2006-01-02"} {
			if !strings.Contains(msg, form) {
				t.Errorf("parseTimeExpr(%q) error %q does not list %q", expr, msg, form)
			}
		}
	}
}
