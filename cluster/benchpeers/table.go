package benchpeers

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Results holds every round's sample per system and metric.
type Results struct {
	order []string
	data  map[string]map[Metric][]Sample
	cpu   map[string]map[Metric][]CPUPerRecord // the append phases' CPU (table_cpu.go)
	idle  []RoundIdle                          // the machine's idle percent before each round
	// Few is the clients of the low-load append phase (Load.Few); the
	// row "append, 1 client" is named for them when more than one.
	Few int
}

// label is the row name of m.
func (r *Results) label(m Metric) string {
	if m == Append1 && r.Few > 1 {
		return fmt.Sprintf("append, %d clients", r.Few)
	}
	return string(m)
}

// NewResults holds samples of systems, in column order.
func NewResults(systems ...string) *Results {
	r := &Results{order: systems, data: map[string]map[Metric][]Sample{}, cpu: map[string]map[Metric][]CPUPerRecord{}}
	for _, s := range systems {
		r.data[s] = map[Metric][]Sample{}
		r.cpu[s] = map[Metric][]CPUPerRecord{}
	}
	return r
}

// Add records one round's sample.
func (r *Results) Add(system string, m Metric, s Sample) {
	r.ensure(system)
	r.data[system][m] = append(r.data[system][m], s)
}

// ensure adds a column for system if it has none.
func (r *Results) ensure(system string) {
	if _, ok := r.data[system]; !ok {
		r.order = append(r.order, system)
		r.data[system] = map[Metric][]Sample{}
		r.cpu[system] = map[Metric][]CPUPerRecord{}
	}
}

// Median is the median over the rounds, and how many rounds there were.
func (r *Results) Median(system string, m Metric) (Sample, int) {
	ss := r.data[system][m]
	return Median(ss), len(ss)
}

// Compare names the systems of the ratio columns.
type Compare struct{ Ovi, Raw, Etcd string }

// WriteTable writes one markdown table: a row per metric, a column per
// system (the median of its rounds), then Ovi/raw and Ovi/etcd.
// Throughput rows compare rates (higher is better for Ovi); read and
// failover rows compare the p50 and the median gap (lower is better). A
// failover cell is the median of the rounds' median gaps and the largest
// gap of any round. The CPU rows follow the append rows (table_cpu.go);
// the notes and the idle figure before each round follow the table.
func (r *Results) WriteTable(w io.Writer, c Compare) error {
	var b strings.Builder
	b.WriteString("| load |")
	for _, s := range r.order {
		b.WriteString(" " + s + " |")
	}
	fmt.Fprintf(&b, " %s / %s | %s / %s |\n|---|", c.Ovi, c.Raw, c.Ovi, c.Etcd)
	b.WriteString(strings.Repeat("---|", len(r.order)+2) + "\n")
	for _, m := range Metrics() {
		b.WriteString("| " + r.label(m) + " |")
		for _, s := range r.order {
			b.WriteString(" " + r.cell(s, m) + " |")
		}
		fmt.Fprintf(&b, " %s | %s |\n", r.ratio(m, c.Ovi, c.Raw), r.ratio(m, c.Ovi, c.Etcd))
		if m == Append64 {
			r.writeCPURows(&b, c)
		}
	}
	rounds := 0
	for _, s := range r.order {
		for _, m := range Metrics() {
			rounds = max(rounds, len(r.data[s][m]))
		}
	}
	fmt.Fprintf(&b, "\nMedian of %d rounds. Ratios: appends %s's rate ÷ the peer's (≥ 1: Ovi ahead); "+
		"reads and failover %s's p50 ÷ the peer's (≤ 1: Ovi ahead).\n", rounds, c.Ovi, c.Ovi)
	r.writeCPUNotes(&b, c)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Results) cell(system string, m Metric) string {
	s, n := r.Median(system, m)
	switch {
	case n == 0:
		return "—"
	case m == FailoverGap:
		var worst time.Duration
		for _, round := range r.data[system][m] {
			worst = max(worst, round.P99)
		}
		return fmt.Sprintf("%s (max %s)", FormatDuration(s.P50), FormatDuration(worst))
	case m == Append1 || m == Append64:
		return fmt.Sprintf("%s/s, p50 %s", FormatCount(s.OpsPerSec), FormatDuration(s.P50))
	}
	return fmt.Sprintf("p50 %s, %s/s", FormatDuration(s.P50), FormatCount(s.OpsPerSec))
}

func (r *Results) ratio(m Metric, a, b string) string {
	sa, na := r.Median(a, m)
	sb, nb := r.Median(b, m)
	if na == 0 || nb == 0 {
		return "—"
	}
	v := Ratio(float64(sa.P50), float64(sb.P50))
	if m == Append1 || m == Append64 {
		v = Ratio(sa.OpsPerSec, sb.OpsPerSec)
	}
	if v == 0 {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// FormatCount writes a rate with thousands separators: 8,312.
func FormatCount(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// FormatDuration writes three significant digits at most: 0.352 ms,
// 3.99 ms, 35.7 ms, 357 ms, 1.72 s.
func FormatDuration(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	}
	ms := float64(d) / float64(time.Millisecond)
	prec := 0
	switch {
	case ms < 1:
		prec = 3
	case ms < 10:
		prec = 2
	case ms < 100:
		prec = 1
	}
	return strconv.FormatFloat(ms, 'f', prec, 64) + " ms"
}
