package benchpeers

import (
	"slices"
	"time"
)

// Sample is one measurement of one load: throughput and latency
// percentiles (a failover sample has only P50 = the median gap and
// P99 = the largest gap).
type Sample struct {
	OpsPerSec float64
	P50, P99  time.Duration
}

// Summarize turns the latencies of n operations completed in elapsed into
// a Sample. Percentiles are nearest-rank (the value at index ⌈p·n⌉-1).
func Summarize(lat []time.Duration, elapsed time.Duration) Sample {
	if len(lat) == 0 {
		return Sample{}
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	s := Sample{P50: Percentile(sorted, 50), P99: Percentile(sorted, 99)}
	if elapsed > 0 {
		s.OpsPerSec = float64(len(lat)) / elapsed.Seconds()
	}
	return s
}

// Percentile is the nearest-rank p-th percentile of sorted (ascending).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Median is the median of the rounds' samples, field by field (each field
// on its own: the round with the median rate need not be the one with the
// median latency). An even count averages the middle two.
func Median(samples []Sample) Sample {
	if len(samples) == 0 {
		return Sample{}
	}
	ops := make([]float64, len(samples))
	p50 := make([]float64, len(samples))
	p99 := make([]float64, len(samples))
	for i, s := range samples {
		ops[i], p50[i], p99[i] = s.OpsPerSec, float64(s.P50), float64(s.P99)
	}
	return Sample{OpsPerSec: medianOf(ops), P50: time.Duration(medianOf(p50)), P99: time.Duration(medianOf(p99))}
}

// GapSample is the failover sample of one round's gaps: P50 their median,
// P99 the largest, OpsPerSec unused.
func GapSample(gaps []time.Duration) Sample {
	if len(gaps) == 0 {
		return Sample{}
	}
	f := make([]float64, len(gaps))
	for i, g := range gaps {
		f[i] = float64(g)
	}
	return Sample{P50: time.Duration(medianOf(f)), P99: slices.Max(gaps)}
}

func medianOf(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Ratio is a/b, or 0 (shown as "—") when either side was not measured.
func Ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}
