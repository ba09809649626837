package benchpeers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSystem is three real sleeping processes with an election simulated
// in memory: after its leader dies, writes fail until electAfter has
// passed since the first write that found it dead; then the survivor
// written to becomes leader.
type fakeSystem struct {
	name       string
	electAfter time.Duration
	reads      bool
	started    *[]string
	onAppend   func() // called in each Append (a test's fake CPU use)
	clients    []int  // of each Append

	mu        sync.Mutex
	procs     []*Proc
	leader    int
	deadSince time.Time
}

func (f *fakeSystem) Name() string   { return f.name }
func (f *fakeSystem) Procs() []*Proc { return f.procs }
func (f *fakeSystem) Stop()          { killAll(f.procs) }

func (f *fakeSystem) Start(ctx context.Context, dir string) error {
	d, err := freshDir(dir, f.name)
	if err != nil {
		return err
	}
	*f.started = append(*f.started, f.name)
	f.procs, f.leader = nil, 0
	for i := range 3 {
		f.procs = append(f.procs, newProc(fmt.Sprintf("%s-%d", f.name, i), d, []string{"/bin/sleep", "600"}))
	}
	return startAll(ctx, f)
}

func (f *fakeSystem) Leader(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.procs[f.leader].Running() {
		return 0, errors.New("no leader")
	}
	return f.leader, nil
}

func (f *fakeSystem) Ready(context.Context) bool {
	for _, p := range f.procs {
		if !p.Running() {
			return false
		}
	}
	return true
}

func (f *fakeSystem) Write(_ context.Context, i int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.procs[i].Running() {
		return errors.New("connection refused")
	}
	if f.procs[f.leader].Running() {
		f.deadSince = time.Time{}
		return nil
	}
	if f.deadSince.IsZero() {
		f.deadSince = time.Now()
	}
	if time.Since(f.deadSince) < f.electAfter {
		return errors.New("no leader")
	}
	f.leader = i
	return nil
}

func (f *fakeSystem) Append(ctx context.Context, clients, total int) (Sample, error) {
	if f.onAppend != nil {
		f.onAppend()
	}
	f.mu.Lock()
	f.clients = append(f.clients, clients)
	f.mu.Unlock()
	return RunLoad(ctx, clients, total, func(context.Context, int) error { return nil })
}

func (f *fakeSystem) Reads(context.Context, Load) (map[Metric]Sample, error) {
	if !f.reads {
		return nil, nil
	}
	return map[Metric]Sample{ReadStale: {OpsPerSec: 1000, P50: time.Millisecond}}, nil
}

func TestMeasureFailoverKillsTheLeaderAndTimesTheFirstCommit(t *testing.T) {
	var started []string
	f := &fakeSystem{name: "fake", electAfter: 300 * time.Millisecond, started: &started}
	ctx := context.Background()
	if err := f.Start(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	killed := map[*Proc]int{}
	var firstPids []int
	for _, p := range f.procs {
		firstPids = append(firstPids, p.Pid())
	}
	gaps, err := MeasureFailover(ctx, f, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 3 {
		t.Fatalf("%d gaps", len(gaps))
	}
	for _, g := range gaps {
		if g < f.electAfter || g > f.electAfter+250*time.Millisecond {
			t.Errorf("gap %v: the simulated election takes %v (probes every %v)", g, f.electAfter, probeEvery)
		}
	}
	for i, p := range f.procs {
		if !p.Running() {
			t.Errorf("%s is not running after the failovers", p.Name)
		}
		if p.Pid() != firstPids[i] {
			killed[p]++
		}
	}
	if len(killed) < 2 {
		t.Errorf("the leader moved: want at least two different processes killed and restarted, have %d", len(killed))
	}
}

func TestMeasureFailoverGivesUpWhenNothingCommits(t *testing.T) {
	var started []string
	f := &fakeSystem{name: "stuck", electAfter: time.Hour, started: &started}
	if err := f.Start(context.Background(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := MeasureFailover(ctx, f, 1)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no write committed through a survivor") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunInterleavesRoundsAndFillsEveryRow(t *testing.T) {
	var started []string
	a := &fakeSystem{name: "a", electAfter: 20 * time.Millisecond, started: &started, reads: true}
	b := &fakeSystem{name: "b", electAfter: 20 * time.Millisecond, started: &started}
	run := &Run{Systems: []System{a, b}, Rounds: 3, Dir: t.TempDir(), IdleWindow: 20 * time.Millisecond,
		Load: Load{Append1: 10, Append64: 100, Warmup: 10, Kills: 3}}
	res, err := run.Execute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(started, ","); got != "a,b,b,a,a,b" {
		t.Errorf("start order %s, want the rounds interleaved a,b,b,a,a,b", got)
	}
	for _, m := range []Metric{Append1, Append64, FailoverGap} {
		for _, s := range []string{"a", "b"} {
			if _, n := res.Median(s, m); n != 3 {
				t.Errorf("%s %s: %d rounds", s, m, n)
			}
		}
	}
	for _, m := range []Metric{Append1, Append64} {
		if c, n := res.MedianCPU("b", m); n != 3 || len(c.Followers) != 2 || c.ClientInLeader {
			t.Errorf("b's CPU of %s: %d rounds, %+v", m, n, c)
		}
	}
	if len(res.idle) != 6 || res.idle[0] != (RoundIdle{Round: 1, System: "a", Idle: res.idle[0].Idle}) || res.idle[5].Round != 3 {
		t.Errorf("idle before the rounds: %+v", res.idle)
	}
	if _, n := res.Median("a", ReadStale); n != 3 {
		t.Errorf("a's reads: %d rounds", n)
	}
	if _, n := res.Median("b", ReadStale); n != 0 {
		t.Errorf("b has no reads but %d rounds of them", n)
	}
	for _, p := range append(a.procs, b.procs...) {
		if p.Running() {
			t.Errorf("%s still runs after the run", p.Name)
		}
	}
}

// -few N runs the low-load phase with N clients, and the results name them.
func TestRunFewClients(t *testing.T) {
	var started []string
	a := &fakeSystem{name: "a", electAfter: 10 * time.Millisecond, started: &started}
	run := &Run{Systems: []System{a}, Rounds: 1, Dir: t.TempDir(), Load: Load{Append1: 10, Append64: 100, Warmup: 10, Kills: 1, Few: 4}}
	res, err := run.Execute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !slices.Equal(a.clients, []int{64, 4, 64}) || res.Few != 4 {
		t.Fatalf("appends with %v clients (few %d), want the warm-up's 64, then 4 and 64", a.clients, res.Few)
	}
}
