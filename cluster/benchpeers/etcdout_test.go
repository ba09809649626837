package benchpeers

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// testdata/etcd-put.txt is the real output of `benchmark put --precise`
// (etcd v3.7.1, one member); etcd-rev-read.txt the real output of
// `etcd-rev read`.
func TestParseEtcdReportRealOutputs(t *testing.T) {
	for _, tc := range []struct {
		file     string
		rate     float64
		p50, p99 time.Duration
	}{
		{"testdata/etcd-put.txt", 0, 0, 0},
		{"testdata/etcd-rev-read.txt", 1867.5634, 352 * time.Microsecond, 4637 * time.Microsecond},
	} {
		f, err := os.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseEtcdReport(f)
		_ = f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if s.OpsPerSec <= 0 || s.P50 <= 0 || s.P99 < s.P50 {
			t.Fatalf("%s: %+v", tc.file, s)
		}
		if tc.rate != 0 && (s.OpsPerSec != tc.rate || s.P50 != tc.p50 || s.P99 != tc.p99) {
			t.Fatalf("%s: %+v, want %v/s p50 %v p99 %v", tc.file, s, tc.rate, tc.p50, tc.p99)
		}
	}
}

func TestParseEtcdReportExactFigures(t *testing.T) {
	report := "\nSummary:\n  Total:\t0.367610274 secs.\n  Requests/sec:\t816.0816528212702\n\n" +
		"Response time histogram:\n  0.000361053 [1]\t|\n\nLatency distribution:\n" +
		"  10% in 0.000615064 secs.\n  50% in 0.000944147 secs.\n  99% in 0.008307447 secs.\n"
	s, err := ParseEtcdReport(strings.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	if s.OpsPerSec != 816.0816528212702 || s.P50 != 944147*time.Nanosecond || s.P99 != 8307447*time.Nanosecond {
		t.Fatalf("%+v", s)
	}
}

func TestParseEtcdReportRefusesFailuresAndGarbage(t *testing.T) {
	failed := "Summary:\n  Requests/sec:\t10\n\nLatency distribution:\n  50% in 0.1 secs.\n  99% in 0.2 secs.\n\n" +
		"Error distribution:\n  [3]\tetcdserver: request timed out\n  [1]\tcontext deadline exceeded\n"
	_, err := ParseEtcdReport(strings.NewReader(failed))
	if !errors.Is(err, ErrEtcdReport) ||
		!strings.Contains(err.Error(), "[3] etcdserver: request timed out; [1] context deadline exceeded") {
		t.Fatalf("failed requests: %v", err)
	}
	if _, err := ParseEtcdReport(strings.NewReader("panic: no endpoints\n")); !errors.Is(err, ErrEtcdReport) {
		t.Fatalf("no summary: %v", err)
	}
	bad := "Requests/sec:\tfast\n  50% in 0.1 secs.\n  99% in 0.2 secs.\n"
	if _, err := ParseEtcdReport(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad number: %v", err)
	}
}
