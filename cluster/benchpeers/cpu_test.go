package benchpeers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestProcFSParsesFakeProcFiles(t *testing.T) {
	fs := ProcFS{Root: "testdata/proc"}
	// utime 1234 + stime 567 ticks of 10 ms; the command name holds
	// spaces and parentheses.
	d, err := fs.ProcessCPU(4242)
	if err != nil || d != 18010*time.Millisecond {
		t.Fatalf("ProcessCPU = %v, %v; want 18.01s", d, err)
	}
	m, err := fs.Machine()
	want := MachineCPU{Total: 10132153 + 290696 + 3084719 + 46828483 + 16683 + 25195, Idle: 46828483, IOWait: 16683}
	if err != nil || m != want {
		t.Fatalf("Machine = %+v, %v; want %+v", m, err, want)
	}
	if _, err := fs.ProcessCPU(1); err == nil || !strings.Contains(err.Error(), "pid 1") {
		t.Fatalf("a missing pid: %v", err)
	}
}

func TestParseStatRefusesWhatItCannotRead(t *testing.T) {
	for _, line := range []string{"4242 no-parens S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 1 1 0 -1 0 0 0 0 0 12a 3 0"} {
		if _, err := parseProcessStat([]byte(line)); err == nil {
			t.Errorf("parseProcessStat(%q) succeeded", line)
		}
	}
	for _, s := range []string{"intr 1 2 3 4 5 6\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\n"} {
		if _, err := parseMachineStat([]byte(s)); err == nil {
			t.Errorf("parseMachineStat(%q) succeeded", s)
		}
	}
	// An old kernel's line (no steal, guest) still reads.
	m, err := parseMachineStat([]byte("cpu 10 0 10 70 10 0 0\n"))
	if err != nil || m != (MachineCPU{Total: 100, Idle: 70, IOWait: 10}) {
		t.Fatalf("short cpu line = %+v, %v", m, err)
	}
}

func TestIdleBetweenTwoReadings(t *testing.T) {
	before := MachineCPU{Total: 1000, Idle: 500, IOWait: 10}
	after := MachineCPU{Total: 1200, Idle: 516, IOWait: 30} // 200 ticks: 16 idle, 20 iowait
	idle, iowait := Idle(before, after)
	if idle != 8 || iowait != 10 {
		t.Fatalf("Idle = %v %%, iowait %v %%; want 8, 10", idle, iowait)
	}
	if idle, iowait := Idle(after, after); idle != 0 || iowait != 0 {
		t.Fatalf("no time passed: %v, %v", idle, iowait)
	}
}

// The lead's figures at 64 clients (leader ~350, each follower ~240, the
// client ~115 µs a record) as one phase of 5,000 records.
func TestPerRecordAndMedianOfRounds(t *testing.T) {
	p := PhaseCPU{Records: 5000, Leader: 1750 * time.Millisecond, Followers: []time.Duration{1200 * time.Millisecond, 1190 * time.Millisecond},
		Client: 575 * time.Millisecond, Idle: 8, IOWait: 1}
	c := p.PerRecord()
	if c.Leader != 350 || c.Followers[0] != 240 || c.Followers[1] != 238 || c.Client != 115 || c.Total() != 943 {
		t.Fatalf("PerRecord = %+v, total %v", c, c.Total())
	}
	if z := (PhaseCPU{}).PerRecord(); z.Total() != 0 {
		t.Fatalf("no records: %+v", z)
	}
	rounds := []CPUPerRecord{c,
		{Leader: 300, Followers: []float64{250, 200}, Client: 100, Idle: 12},
		{Leader: 900, Followers: []float64{230, 220}, Client: 130, Idle: 2, IOWait: 3}}
	m := MedianCPU(rounds)
	want := CPUPerRecord{Leader: 350, Followers: []float64{240, 220}, Client: 115, Idle: 8, IOWait: 1}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("MedianCPU = %+v, want %+v", m, want)
	}
	if got := FormatCPU(m); got != "350 · 240, 220 · 115 = 925" {
		t.Fatalf("FormatCPU = %q", got)
	}
	raw := MedianCPU([]CPUPerRecord{{Leader: 95.25, Followers: []float64{20, 9.7}, ClientInLeader: true}})
	if got := FormatCPU(raw); got != "95 · 20, 9.7 · in leader = 125" {
		t.Fatalf("FormatCPU(raw) = %q", got)
	}
}

// writeFakeProc writes /proc/PID/stat files for pids with the given CPU
// ticks, and /proc/stat with total and idle ticks, under root.
func writeFakeProc(t *testing.T, root string, ticks map[int]uint64, total, idle uint64) {
	t.Helper()
	for pid, n := range ticks {
		dir := filepath.Join(root, strconv.Itoa(pid))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%d (sleep) S 1 1 1 0 -1 0 0 0 0 0 %d %d 0 0 20 0 1 0 1 0 0\n", pid, n/2, n-n/2)
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stat := fmt.Sprintf("cpu %d 0 0 %d 0 0 0 0 0 0\n", total-idle, idle)
	if err := os.WriteFile(filepath.Join(root, "stat"), []byte(stat), 0o600); err != nil {
		t.Fatal(err)
	}
}
