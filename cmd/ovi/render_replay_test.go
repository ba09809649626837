package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGoldenReplaySeed(t *testing.T) {
	var out bytes.Buffer
	if err := renderReplay(&out, tableOptions(), seedReplayFixture(), false); err != nil {
		t.Fatalf("render: %v", err)
	}
	want := "10:30:00 [observed]  Resource i-123456 found in cloud\n" +
		"10:30:01 [decided]   Delete: Not in desired configuration\n" +
		"10:30:02 [executing] Starting deletion\n" +
		"10:30:03 [executed]  Successfully deleted\n"
	if got := withoutRevisions(t, out.String()); got != want {
		t.Fatalf("seed replay (after the revision column) differs from the README:\n%s\nwant:\n%s", got, want)
	}
	assertGolden(t, "replay_seed_table", out.Bytes())
}

func TestGoldenReplayCycleTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderReplay(&out, tableOptions(), cycleFixture(), true); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "replay_cycle_table", out.Bytes())
}

func TestGoldenReplaySpanningDaysShowsDates(t *testing.T) {
	entries := seedReplayFixture()
	entries[3].Record.Time = entries[3].Record.Time.Add(24 * time.Hour)
	var out bytes.Buffer
	if err := renderReplay(&out, tableOptions(), entries, false); err != nil {
		t.Fatalf("render: %v", err)
	}
	if !strings.HasPrefix(out.String(), "40  2026-11-25 10:30:00 [observed]  Resource i-123456") {
		t.Fatalf("multi-day replay lacks dates:\n%s", out.String())
	}
	assertGolden(t, "replay_days_table", out.Bytes())
}

func TestGoldenReplayJSON(t *testing.T) {
	entries := cycleFixture()
	var out bytes.Buffer
	if err := renderReplay(&out, jsonOptions(), entries, true); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "replay_cycle_json", out.Bytes())

	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	var got []walEntry
	for sc.Scan() {
		var e walEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not a JSON object: %v", len(got)+1, err)
		}
		got = append(got, e)
	}
	if !reflect.DeepEqual(got, entries) {
		t.Fatalf("NDJSON does not round-trip:\n got %+v\nwant %+v", got, entries)
	}
}

func TestReplayColoursTheKindKeepingAlignment(t *testing.T) {
	o := tableOptions()
	o.style = style{color: true}
	var out bytes.Buffer
	if err := renderReplay(&out, o, seedReplayFixture(), false); err != nil {
		t.Fatalf("render: %v", err)
	}
	first := strings.SplitN(out.String(), "\n", 2)[0]
	if first != "40  10:30:00 \x1b[36m[observed]\x1b[0m  Resource i-123456 found in cloud" {
		t.Fatalf("coloured line = %q", first)
	}
}
