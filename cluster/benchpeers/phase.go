package benchpeers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// PhaseCPU is the CPU one append phase used, per role, and how idle the
// machine was during it.
type PhaseCPU struct {
	Records   int             // records committed in the phase
	Leader    time.Duration   // the leader process
	Followers []time.Duration // each follower process, the busiest first
	// Client is the load client: this process and the tools it ran and
	// waited for in the phase (etcd's benchmark). Zero when the load runs
	// inside the leader (ClientInLeader: raw Raft), whose CPU holds it.
	Client         time.Duration
	ClientInLeader bool
	Idle, IOWait   float64 // percent of the machine's CPU time in the phase
}

// CPUPerRecord is a phase's CPU per committed record, in microseconds,
// and the machine's idle and iowait percent during it.
type CPUPerRecord struct {
	Leader         float64
	Followers      []float64 // the busiest first
	Client         float64
	ClientInLeader bool
	Idle, IOWait   float64
}

// Total is leader + followers + client.
func (c CPUPerRecord) Total() float64 {
	t := c.Leader + c.Client
	for _, f := range c.Followers {
		t += f
	}
	return t
}

// PerRecord divides the phase's CPU by its records (zero without records).
func (p PhaseCPU) PerRecord() CPUPerRecord {
	c := CPUPerRecord{ClientInLeader: p.ClientInLeader, Idle: p.Idle, IOWait: p.IOWait}
	if p.Records <= 0 {
		return c
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(p.Records) }
	c.Leader, c.Client = us(p.Leader), us(p.Client)
	for _, f := range p.Followers {
		c.Followers = append(c.Followers, us(f))
	}
	return c
}

// MedianCPU is the median of the rounds' per-record figures, field by
// field (followers position by position: the busiest of each round, then
// the next).
func MedianCPU(rounds []CPUPerRecord) CPUPerRecord {
	if len(rounds) == 0 {
		return CPUPerRecord{}
	}
	field := func(get func(CPUPerRecord) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = get(r)
		}
		return medianOf(v)
	}
	out := CPUPerRecord{Leader: field(func(c CPUPerRecord) float64 { return c.Leader }),
		Client: field(func(c CPUPerRecord) float64 { return c.Client }),
		Idle:   field(func(c CPUPerRecord) float64 { return c.Idle }), IOWait: field(func(c CPUPerRecord) float64 { return c.IOWait })}
	for _, r := range rounds {
		out.ClientInLeader = out.ClientInLeader || r.ClientInLeader
	}
	for i := range slices.MinFunc(rounds, func(a, b CPUPerRecord) int { return len(a.Followers) - len(b.Followers) }).Followers {
		out.Followers = append(out.Followers, field(func(c CPUPerRecord) float64 { return c.Followers[i] }))
	}
	return out
}

// cpuMeter takes the readings at the start of a phase.
type cpuMeter struct {
	fs      ProcFS
	pids    []int
	leader  int
	before  []time.Duration
	self    time.Duration
	machine MachineCPU
}

// startCPU reads the CPU of procs (procs[leader] leads), of this process
// and of the machine at the start of a phase.
func startCPU(fs ProcFS, procs []*Proc, leader int) (*cpuMeter, error) {
	m := &cpuMeter{fs: fs, leader: leader}
	for _, p := range procs {
		m.pids = append(m.pids, p.Pid())
	}
	var err error
	if m.before, err = m.processes(); err != nil {
		return nil, err
	}
	if m.self, err = SelfCPU(); err != nil {
		return nil, err
	}
	if m.machine, err = fs.Machine(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *cpuMeter) processes() ([]time.Duration, error) {
	out := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		d, err := m.fs.ProcessCPU(pid)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// stop reads again at the end of the phase and returns what it used.
func (m *cpuMeter) stop(records int, clientInLeader bool) (PhaseCPU, error) {
	after, err := m.processes()
	if err != nil {
		return PhaseCPU{}, err
	}
	self, err := SelfCPU()
	if err != nil {
		return PhaseCPU{}, err
	}
	machine, err := m.fs.Machine()
	if err != nil {
		return PhaseCPU{}, err
	}
	p := PhaseCPU{Records: records, ClientInLeader: clientInLeader}
	p.Idle, p.IOWait = Idle(m.machine, machine)
	for i := range after {
		if i == m.leader {
			p.Leader = after[i] - m.before[i]
		} else {
			p.Followers = append(p.Followers, after[i]-m.before[i])
		}
	}
	slices.SortFunc(p.Followers, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	if !clientInLeader {
		p.Client = self - m.self
	}
	return p, nil
}

// MeasureIdle is the machine's idle percent over window (0: not measured).
func MeasureIdle(ctx context.Context, fs ProcFS, window time.Duration) (float64, error) {
	if window <= 0 {
		return 0, nil
	}
	before, err := fs.Machine()
	if err != nil {
		return 0, err
	}
	t := time.NewTimer(window)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return 0, fmt.Errorf("benchpeers: idle before the round: %w", ctx.Err())
	case <-t.C:
	}
	after, err := fs.Machine()
	if err != nil {
		return 0, err
	}
	idle, _ := Idle(before, after)
	return idle, nil
}
