package benchpeers

import (
	"testing"
	"time"
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestSummarizeNearestRank(t *testing.T) {
	lat := make([]time.Duration, 0, 100)
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, ms(float64(i)))
	}
	s := Summarize(lat, 2*time.Second)
	if s.OpsPerSec != 50 || s.P50 != ms(50) || s.P99 != ms(99) {
		t.Fatalf("Summarize = %+v, want 50/s, p50 50 ms, p99 99 ms", s)
	}
	if lat[0] != ms(100) {
		t.Fatal("Summarize sorted its caller's slice")
	}
	if got := Percentile([]time.Duration{ms(1), ms(2), ms(3)}, 50); got != ms(2) {
		t.Fatalf("p50 of 1,2,3 = %v", got)
	}
	if got := Percentile([]time.Duration{ms(7)}, 99); got != ms(7) {
		t.Fatalf("p99 of one = %v", got)
	}
	if (Summarize(nil, time.Second) != Sample{}) {
		t.Fatal("Summarize(nil) is not zero")
	}
}

func TestMedianFieldByField(t *testing.T) {
	got := Median([]Sample{
		{OpsPerSec: 100, P50: ms(3), P99: ms(30)},
		{OpsPerSec: 300, P50: ms(1), P99: ms(10)},
		{OpsPerSec: 200, P50: ms(2), P99: ms(90)},
	})
	want := Sample{OpsPerSec: 200, P50: ms(2), P99: ms(30)}
	if got != want {
		t.Fatalf("Median = %+v, want %+v", got, want)
	}
	even := Median([]Sample{{OpsPerSec: 100, P50: ms(1)}, {OpsPerSec: 300, P50: ms(4)}})
	if even.OpsPerSec != 200 || even.P50 != ms(2.5) {
		t.Fatalf("even Median = %+v", even)
	}
}

func TestGapSampleAndRatio(t *testing.T) {
	g := GapSample([]time.Duration{ms(2400), ms(1100), ms(1500)})
	if g.P50 != ms(1500) || g.P99 != ms(2400) {
		t.Fatalf("GapSample = %+v", g)
	}
	if r := Ratio(1762, 8312); r < 0.2119 || r > 0.2120 {
		t.Fatalf("Ratio = %v", r)
	}
	if Ratio(0, 5) != 0 || Ratio(5, 0) != 0 {
		t.Fatal("a ratio with an unmeasured side is not 0")
	}
}
