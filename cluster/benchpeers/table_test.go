package benchpeers

import (
	"strings"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{
		352 * time.Microsecond: "0.352 ms", ms(3.99): "3.99 ms", ms(35.7): "35.7 ms", ms(357): "357 ms", ms(1720): "1.72 s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for v, want := range map[float64]string{8312.4: "8,312", 547: "547", 1234567: "1,234,567", 0: "0"} {
		if got := FormatCount(v); got != want {
			t.Errorf("FormatCount(%v) = %q, want %q", v, got, want)
		}
	}
}

// The issue's own figures, as three rounds each, come out as its table.
func TestWriteTableMediansAndRatios(t *testing.T) {
	r := NewResults("raw", "etcd", "ovi")
	for _, f := range []float64{0.9, 1, 1.1} { // rounds around the medians
		r.Add("raw", Append64, Sample{OpsPerSec: 8312 * f, P50: ms(7.1 * f)})
		r.Add("etcd", Append64, Sample{OpsPerSec: 5517 * f, P50: ms(10.1 * f)})
		r.Add("ovi", Append64, Sample{OpsPerSec: 1762 * f, P50: ms(35.7 * f)})
		r.Add("etcd", ReadConsist, Sample{OpsPerSec: 2200 * f, P50: ms(0.45 * f)})
		r.Add("ovi", ReadConsist, Sample{OpsPerSec: 1300 * f, P50: ms(0.75 * f)})
		r.Add("etcd", FailoverGap, GapSample([]time.Duration{ms(1100 * f), ms(1000), ms(1300 * f)}))
		r.Add("ovi", FailoverGap, GapSample([]time.Duration{ms(2400 * f), ms(2000), ms(2600)}))
	}
	out := tableOf(t, r)
	assertContains(t, out,
		"| load | raw | etcd | ovi | ovi / raw | ovi / etcd |",
		"| append, 64 clients | 8,312/s, p50 7.10 ms | 5,517/s, p50 10.1 ms | 1,762/s, p50 35.7 ms | 0.21 | 0.32 |",
		"| old-revision read: consistent / linearizable | — | p50 0.450 ms, 2,200/s | p50 0.750 ms, 1,300/s | — | 1.67 |",
		"| failover gap after kill -9 | — | 1.10 s (max 1.43 s) | 2.40 s (max 2.64 s) | — | 2.18 |",
		"| append, 1 client | — | — | — | — | — |",
		"Median of 3 rounds.",
	)
	if n := strings.Count(out, "\n| "); n != len(Metrics()) {
		t.Errorf("%d body rows, want %d:\n%s", n, len(Metrics()), out)
	}
}

// The lead's measurement (Ovi ~870 µs a record at 64 clients, 8 % idle;
// raw raft ~135, its load inside the leader) as CPU rows after the
// append rows, with the idle figure taken before each round.
func TestWriteTableCPURowsAndIdleBefore(t *testing.T) {
	r := NewResults("raw", "etcd", "ovi")
	r.Add("ovi", Append64, Sample{OpsPerSec: 2247, P50: ms(28)})
	r.AddCPU("raw", Append64, PhaseCPU{Records: 1000, Leader: 95 * time.Millisecond,
		Followers: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}, ClientInLeader: true, Idle: 60, IOWait: 5})
	r.AddCPU("ovi", Append64, PhaseCPU{Records: 1000, Leader: 350 * time.Millisecond,
		Followers: []time.Duration{240 * time.Millisecond, 165 * time.Millisecond}, Client: 115 * time.Millisecond, Idle: 8, IOWait: 0.4})
	r.AddIdleBefore(1, "raw", 97)
	r.AddIdleBefore(1, "etcd", 96.4)
	r.AddIdleBefore(1, "ovi", 95)
	r.AddIdleBefore(2, "etcd", 91)
	out := tableOf(t, r)
	assertContains(t, out,
		"| append, 64 clients: CPU µs/record (leader · followers · client = total) | 95 · 20, 20 · in leader = 135 | — | 350 · 240, 165 · 115 = 870 | 6.44 | — |\n",
		"| append, 1 client: CPU µs/record (leader · followers · client = total) | — | — | — | — | — |\n",
		"| append, 64 clients: CPU idle / iowait during the phase | 60 % / 5 % | — | 8 % / 0 % | — | — |\n",
		"raw Raft's load runs inside its leader",
		"CPU idle before each round: round 1: raw 97 %, etcd 96 %, ovi 95 %; round 2: etcd 91 %.\n",
	)
	rows := strings.Split(out, "\n")
	if !strings.HasPrefix(rows[3], "| append, 64 clients |") || !strings.HasPrefix(rows[4], "| append, 1 client: CPU") {
		t.Errorf("the CPU rows do not follow the append rows:\n%s", out)
	}
	if n := strings.Count(out, "\n| "); n != len(Metrics())+4 {
		t.Errorf("%d body rows, want %d:\n%s", n, len(Metrics())+4, out)
	}
}

// tableOf is r's table comparing ovi with raw and etcd.
func tableOf(t *testing.T, r *Results) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteTable(&b, Compare{Ovi: "ovi", Raw: "raw", Etcd: "etcd"}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// assertContains fails the test for each of wants that out lacks.
func assertContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// With -few N the low-load phase's rows name its N clients.
func TestWriteTableNamesTheFewClients(t *testing.T) {
	r := NewResults("raw", "etcd", "ovi")
	r.Few = 4
	r.Add("ovi", Append1, Sample{OpsPerSec: 1340, P50: ms(3)})
	r.AddCPU("ovi", Append1, PhaseCPU{Records: 1000, Leader: 350 * time.Millisecond, Client: 115 * time.Millisecond})
	out := tableOf(t, r)
	assertContains(t, out, "| append, 4 clients | — | — | 1,340/s, p50 3.00 ms |",
		"| append, 4 clients: CPU µs/record (leader · followers · client = total) |",
		"| append, 4 clients: CPU idle / iowait during the phase |")
	if strings.Contains(out, "1 client") {
		t.Errorf("a row still names 1 client:\n%s", out)
	}
}
