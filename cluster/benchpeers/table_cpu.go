package benchpeers

import (
	"fmt"
	"strconv"
	"strings"
)

// The CPU rows of the table: for each append row, the CPU per record by
// role and how idle the machine was during the phase.
const (
	cpuRowSuffix  = ": CPU µs/record (leader · followers · client = total)"
	idleRowSuffix = ": CPU idle / iowait during the phase"
)

// RoundIdle is the machine's idle percent measured just before a system's
// round started.
type RoundIdle struct {
	Round  int
	System string
	Idle   float64
}

// AddCPU records one round's CPU of an append phase.
func (r *Results) AddCPU(system string, m Metric, p PhaseCPU) {
	r.ensure(system)
	r.cpu[system][m] = append(r.cpu[system][m], p.PerRecord())
}

// MedianCPU is the median over the rounds of an append phase's CPU per
// record, and how many rounds there were.
func (r *Results) MedianCPU(system string, m Metric) (CPUPerRecord, int) {
	rounds := r.cpu[system][m]
	return MedianCPU(rounds), len(rounds)
}

// AddIdleBefore records the idle figure taken before a round.
func (r *Results) AddIdleBefore(round int, system string, idle float64) {
	r.idle = append(r.idle, RoundIdle{Round: round, System: system, Idle: idle})
}

func (r *Results) hasCPU() bool {
	for _, bySystem := range r.cpu {
		if len(bySystem) > 0 {
			return true
		}
	}
	return false
}

// writeCPURows writes, when CPU was measured, a CPU row and an idle row
// for each append row; the CPU ratios compare totals (≤ 1: Ovi uses less).
func (r *Results) writeCPURows(b *strings.Builder, c Compare) {
	if !r.hasCPU() {
		return
	}
	for _, m := range []Metric{Append1, Append64} {
		b.WriteString("| " + r.label(m) + cpuRowSuffix + " |")
		for _, s := range r.order {
			b.WriteString(" " + r.cpuCell(s, m) + " |")
		}
		fmt.Fprintf(b, " %s | %s |\n", r.cpuRatio(m, c.Ovi, c.Raw), r.cpuRatio(m, c.Ovi, c.Etcd))
	}
	for _, m := range []Metric{Append1, Append64} {
		b.WriteString("| " + r.label(m) + idleRowSuffix + " |")
		for _, s := range r.order {
			cell := "—"
			if v, n := r.MedianCPU(s, m); n > 0 {
				cell = fmt.Sprintf("%.0f %% / %.0f %%", v.Idle, v.IOWait)
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString(" — | — |\n")
	}
}

// cpuCell is the median CPU per record of system's phase m.
func (r *Results) cpuCell(system string, m Metric) string {
	v, n := r.MedianCPU(system, m)
	if n == 0 {
		return "—"
	}
	return FormatCPU(v)
}

// FormatCPU writes "leader · follower, follower · client = total" in µs
// per record (client "in leader" when the load runs there).
func FormatCPU(v CPUPerRecord) string {
	fs := make([]string, len(v.Followers))
	for i, f := range v.Followers {
		fs[i] = formatMicros(f)
	}
	client := formatMicros(v.Client)
	if v.ClientInLeader {
		client = "in leader"
	}
	return fmt.Sprintf("%s · %s · %s = %s", formatMicros(v.Leader), strings.Join(fs, ", "), client, formatMicros(v.Total()))
}

func (r *Results) cpuRatio(m Metric, a, b string) string {
	va, na := r.MedianCPU(a, m)
	vb, nb := r.MedianCPU(b, m)
	if v := Ratio(va.Total(), vb.Total()); na > 0 && nb > 0 && v > 0 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return "—"
}

// writeCPUNotes says what the CPU rows count, then the idle figure taken
// before each round.
func (r *Results) writeCPUNotes(b *strings.Builder, c Compare) {
	if r.hasCPU() {
		fmt.Fprintf(b, "CPU µs/record: the CPU time (user + system) each process used in the phase ÷ the records committed in it; "+
			"servers from /proc/PID/stat (10 ms ticks), the client with getrusage: for Ovi bench-peers itself (its HTTP load), "+
			"for etcd its benchmark tool; raw Raft's load runs inside its leader (client \"in leader\": counted in the leader's). "+
			"Followers busiest first. CPU ratios: %s's total ÷ the peer's (≤ 1: Ovi uses less). "+
			"Idle / iowait: the machine's (2 cores here) during the phase, from /proc/stat — near 0 %% idle is CPU-bound.\n", c.Ovi)
	}
	if len(r.idle) == 0 {
		return
	}
	b.WriteString("CPU idle before each round:")
	round := 0
	for _, ri := range r.idle {
		switch {
		case ri.Round == round:
			b.WriteString(",")
		case round != 0:
			b.WriteString(";")
		}
		if ri.Round != round {
			fmt.Fprintf(b, " round %d:", ri.Round)
			round = ri.Round
		}
		fmt.Fprintf(b, " %s %.0f %%", ri.System, ri.Idle)
	}
	b.WriteString(".\n")
}

// formatMicros writes µs without decimals from 10 up, with one below.
func formatMicros(us float64) string {
	if us < 10 {
		return strconv.FormatFloat(us, 'f', 1, 64)
	}
	return FormatCount(us)
}
