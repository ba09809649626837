package benchpeers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Run is a benchmark run: rounds of every system, interleaved (round k
// starts with system k mod n), each round on fresh data dirs under Dir.
type Run struct {
	Systems []System
	Load    Load
	Rounds  int
	Dir     string
	Log     io.Writer // progress, one line per measurement
	// ProcFS is where the CPU accounting is read (the zero value: /proc).
	ProcFS ProcFS
	// IdleWindow is how long the machine's idle figure is sampled before
	// each round (0: not sampled).
	IdleWindow time.Duration
	// Profile, when set, is where the profiles of round 1's 64-client
	// phase go (systems that are Profilers); ProfileWindow is their length
	// when the warm-up gives no rate to estimate it from.
	Profile       string
	ProfileWindow time.Duration
}

// Execute runs the rounds and returns every sample. A failed measurement
// stops the run (a table with holes would hide it).
func (r *Run) Execute(ctx context.Context) (*Results, error) {
	names := make([]string, len(r.Systems))
	for i, s := range r.Systems {
		names[i] = s.Name()
	}
	res := NewResults(names...)
	res.Few = r.Load.Few
	for k := range r.Rounds {
		for i := range r.Systems {
			s := r.Systems[(i+k)%len(r.Systems)]
			if err := r.round(ctx, k+1, s, res); err != nil {
				return res, fmt.Errorf("round %d, %s: %w", k+1, s.Name(), err)
			}
		}
	}
	return res, nil
}

// round starts s afresh, measures it and stops it.
func (r *Run) round(ctx context.Context, k int, s System, res *Results) error {
	idle, err := MeasureIdle(ctx, r.ProcFS, r.IdleWindow)
	if err != nil {
		return err
	}
	if r.IdleWindow > 0 {
		res.AddIdleBefore(k, s.Name(), idle)
		r.logf("round %d: %s: start (cpu idle %.0f %% over the %s before)", k, s.Name(), idle, r.IdleWindow)
	} else {
		r.logf("round %d: %s: start", k, s.Name())
	}
	if err := s.Start(ctx, r.Dir); err != nil {
		s.Stop()
		return err
	}
	defer s.Stop()
	if err := r.appends(ctx, k, s, res); err != nil {
		return err
	}
	return r.readsAndFailover(ctx, k, s, res)
}

// appends runs the warm-up and the two measured append phases (the
// 64-client one of round 1 profiled when r.Profile is set and s can).
func (r *Run) appends(ctx context.Context, k int, s System, res *Results) error {
	var warm Sample
	if r.Load.Warmup > 0 {
		var err error
		if warm, err = s.Append(ctx, 64, r.Load.Warmup); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	for _, a := range []struct {
		m       Metric
		clients int
		total   int
	}{{Append1, max(1, r.Load.Few), r.Load.Append1}, {Append64, 64, r.Load.Append64}} {
		var wait func() error
		if p, ok := s.(Profiler); ok && r.Profile != "" && k == 1 && a.m == Append64 {
			wait = r.startProfile(ctx, k, s.Name(), p, ProfileWindow(a.total, warm.OpsPerSec, r.ProfileWindow))
		}
		sample, cpu, err := r.measureAppend(ctx, s, a.clients, a.total)
		if wait != nil {
			err = errors.Join(err, wait())
		}
		if err != nil {
			return fmt.Errorf("%s: %w", a.m, err)
		}
		res.Add(s.Name(), a.m, sample)
		res.AddCPU(s.Name(), a.m, cpu)
		r.logf("round %d: %s: %s: %s/s, p50 %s, p99 %s; cpu µs/record %s, idle %.0f %%", k, s.Name(), a.m,
			FormatCount(sample.OpsPerSec), FormatDuration(sample.P50), FormatDuration(sample.P99),
			FormatCPU(cpu.PerRecord()), cpu.Idle)
	}
	return nil
}

// startProfile starts p's profiles over window; the function it returns
// waits for them (the next phase must not run into the window).
func (r *Run) startProfile(ctx context.Context, k int, name string, p Profiler, window time.Duration) func() error {
	done := make(chan error, 1)
	start := time.Now()
	r.logf("round %d: %s: profiling the leader and a follower for %s (pprof, into %s)", k, name, window, r.Profile)
	go func() {
		files, err := p.Profile(ctx, r.Profile, fmt.Sprintf("%s-round%d-append64", name, k), window)
		for _, f := range files {
			r.logf("round %d: %s: profile %s", k, name, f)
		}
		done <- err
	}()
	return func() error {
		phase := time.Since(start)
		err := <-done
		r.logf("round %d: %s: the 64-client phase took %s of the %s profiled", k, name, phase.Round(time.Millisecond), window)
		return err
	}
}

// measureAppend runs one append phase between two readings of the CPU of
// s's processes (the leader's apart), of this process and of the machine.
func (r *Run) measureAppend(ctx context.Context, s System, clients, total int) (Sample, PhaseCPU, error) {
	l, err := s.Leader(ctx)
	if err != nil {
		return Sample{}, PhaseCPU{}, err
	}
	meter, err := startCPU(r.ProcFS, s.Procs(), l)
	if err != nil {
		return Sample{}, PhaseCPU{}, err
	}
	sample, err := s.Append(ctx, clients, total)
	if err != nil {
		return Sample{}, PhaseCPU{}, err
	}
	inLeader := false
	if il, ok := s.(interface{ LoadInLeader() bool }); ok {
		inLeader = il.LoadInLeader()
	}
	cpu, err := meter.stop(total, inLeader)
	if err != nil {
		return Sample{}, PhaseCPU{}, err
	}
	if now, err := s.Leader(ctx); err != nil || now != l {
		r.logf("%s: the leader changed during the phase: its CPU row mixes the roles", s.Name())
	}
	return sample, cpu, nil
}

func (r *Run) readsAndFailover(ctx context.Context, k int, s System, res *Results) error {
	reads, err := s.Reads(ctx, r.Load)
	if err != nil {
		return fmt.Errorf("reads: %w", err)
	}
	for _, m := range Metrics() {
		if sample, ok := reads[m]; ok {
			res.Add(s.Name(), m, sample)
			r.logf("round %d: %s: %s: p50 %s, p99 %s, %s/s", k, s.Name(), m, FormatDuration(sample.P50),
				FormatDuration(sample.P99), FormatCount(sample.OpsPerSec))
		}
	}
	gaps, err := MeasureFailover(ctx, s, r.Load.Kills)
	if err != nil {
		return err
	}
	res.Add(s.Name(), FailoverGap, GapSample(gaps))
	r.logf("round %d: %s: failover gaps %v", k, s.Name(), roundGaps(gaps))
	return nil
}

func roundGaps(gaps []time.Duration) []time.Duration {
	out := make([]time.Duration, len(gaps))
	for i, g := range gaps {
		out[i] = g.Round(time.Millisecond)
	}
	return out
}

func (r *Run) logf(format string, args ...any) {
	if r.Log != nil {
		_, _ = fmt.Fprintf(r.Log, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
}
