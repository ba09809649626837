package benchpeers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrEtcdReport is a benchmark report this package cannot read or that
// reports failed requests.
var ErrEtcdReport = errors.New("benchpeers: etcd benchmark report")

// ParseEtcdReport reads the summary that etcd's benchmark tool (and
// etcd-rev) prints:
//
//	Summary:
//	  Total:	0.367610274 secs.
//	  Requests/sec:	816.0816528212702
//	Latency distribution:
//	  50% in 0.000944147 secs.
//	  99% in 0.008307447 secs.
//
// A report with an "Error distribution" section (requests that failed) is
// an error: its rate would count failures as work done.
func ParseEtcdReport(r io.Reader) (Sample, error) {
	var s Sample
	var haveRate, have50, have99 bool
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		var err error
		switch {
		case len(f) == 0:
		case f[0] == "Error" && len(f) > 1 && f[1] == "distribution:":
			return Sample{}, fmt.Errorf("%w: line %d: requests failed: %s", ErrEtcdReport, line, errorLines(sc))
		case f[0] == "Requests/sec:" && len(f) == 2:
			s.OpsPerSec, err = strconv.ParseFloat(f[1], 64)
			haveRate = true
		case len(f) == 4 && f[1] == "in" && f[3] == "secs." && (f[0] == "50%" || f[0] == "99%"):
			var d time.Duration
			d, err = parseSecs(f[2])
			if f[0] == "50%" {
				s.P50, have50 = d, true
			} else {
				s.P99, have99 = d, true
			}
		}
		if err != nil {
			return Sample{}, fmt.Errorf("%w: line %d: %q: %w", ErrEtcdReport, line, sc.Text(), err)
		}
	}
	if err := sc.Err(); err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrEtcdReport, err)
	}
	if !haveRate || !have50 || !have99 {
		return Sample{}, fmt.Errorf("%w: no Requests/sec, 50%% or 99%% line", ErrEtcdReport)
	}
	return s, nil
}

func parseSecs(v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(f * float64(time.Second)), nil
}

// errorLines joins the rest of an error distribution (its "[count] error"
// lines) into one line.
func errorLines(sc *bufio.Scanner) string {
	var out []string
	for sc.Scan() && strings.TrimSpace(sc.Text()) != "" {
		out = append(out, strings.Join(strings.Fields(sc.Text()), " "))
	}
	return strings.Join(out, "; ")
}
