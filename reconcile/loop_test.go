package reconcile

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// timers hands the loop channels the test fires by hand, and records the
// delays the loop asked for.
type timers struct {
	mu      sync.Mutex
	delays  []time.Duration
	pending []chan time.Time
}

func (tm *timers) after(d time.Duration) <-chan time.Time {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	ch := make(chan time.Time, 1)
	tm.delays = append(tm.delays, d)
	tm.pending = append(tm.pending, ch)
	return ch
}

func (tm *timers) count() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return len(tm.delays)
}

func (tm *timers) delay(i int) time.Duration {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.delays[i]
}

func (tm *timers) fire(i int) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.pending[i] <- time.Time{}
}

// fixed is an interval that never changes.
func fixed(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

func summaries(l *fakeLog) int { return countKind(l.all(), wal.KindCycleSummary) }

func TestNextDelayJitterAndBackoff(t *testing.T) {
	r := newRig(t, webYAML)
	e := r.engine(func(o *Options) { o.MinBackoff = time.Second })
	interval := 10 * time.Second
	within := func(d, base time.Duration) bool {
		return d >= time.Duration(float64(base)*0.9) && d <= time.Duration(float64(base)*1.1)
	}
	lo, hi := interval, time.Duration(0)
	for range 1000 {
		d := e.nextDelay(interval, 0)
		if !within(d, interval) {
			t.Fatalf("delay %v outside ±10%% of %v", d, interval)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > 9500*time.Millisecond || hi < 10500*time.Millisecond {
		t.Errorf("jitter does not spread: %v..%v", lo, hi)
	}
	for failures, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		4: 8 * time.Second, 5: interval, 40: interval} {
		if d := e.nextDelay(interval, failures); !within(d, base) {
			t.Errorf("after %d failures: %v, want about %v", failures, d, base)
		}
	}
}

func TestLoopRunsAtOnceOnTriggerAndEveryInterval(t *testing.T) {
	r := newRig(t, webYAML)
	r.run(r.engine(), Request{}) // store the configuration
	base := summaries(r.log)
	tm := &timers{}
	e := r.engine(func(o *Options) { o.After = tm.after })
	trigger := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Loop(ctx, fixed(time.Minute), trigger) }()

	waitFor(t, "the first cycle", func() bool { return tm.count() == 1 })
	if summaries(r.log) != base+1 {
		t.Fatalf("summaries = %d", summaries(r.log))
	}
	if d := tm.delay(0); d < 54*time.Second || d > 66*time.Second {
		t.Errorf("delay %v, want a minute ±10%%", d)
	}
	trigger <- struct{}{}
	waitFor(t, "the triggered cycle", func() bool { return tm.count() == 2 })
	tm.fire(1)
	waitFor(t, "the interval cycle", func() bool { return tm.count() == 3 })
	if summaries(r.log) != base+3 {
		t.Fatalf("summaries = %d, want %d", summaries(r.log), base+3)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("loop returned %v", err)
	}
}

// A reloaded interval holds from the wait after the next cycle (the
// trigger ends the current wait at once).
func TestLoopReadsTheIntervalAfterEveryCycle(t *testing.T) {
	r := newRig(t, webYAML)
	r.run(r.engine(), Request{})
	tm := &timers{}
	e := r.engine(func(o *Options) { o.After = tm.after })
	var interval atomic.Int64
	interval.Store(int64(time.Hour))
	trigger := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Loop(ctx, func() time.Duration { return time.Duration(interval.Load()) }, trigger) }()
	waitFor(t, "the first cycle", func() bool { return tm.count() == 1 })
	interval.Store(int64(10 * time.Second))
	trigger <- struct{}{}
	waitFor(t, "the triggered cycle", func() bool { return tm.count() == 2 })
	if d := tm.delay(0); d < 54*time.Minute {
		t.Errorf("first delay %v, want an hour ±10%%", d)
	}
	if d := tm.delay(1); d < 9*time.Second || d > 11*time.Second {
		t.Errorf("delay after the reload %v, want 10s ±10%%", d)
	}
	interval.Store(0)
	tm.fire(1)
	if err := <-done; err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("loop with a zero interval returned %v, want an error", err)
	}
	cancel()
}

func TestLoopBacksOffAfterFailures(t *testing.T) {
	r := newRig(t, webYAML)
	r.run(r.engine(), Request{})
	r.cloud.failures["observe"] = &ProviderError{Code: "RequestLimitExceeded", Message: "throttled"}
	tm := &timers{}
	e := r.engine(func(o *Options) { o.After = tm.after; o.MinBackoff = time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Loop(ctx, fixed(time.Hour), nil) }()
	for i := range 3 {
		waitFor(t, "a failed cycle", func() bool { return tm.count() == i+1 })
		tm.fire(i)
	}
	waitFor(t, "the fourth cycle", func() bool { return tm.count() == 4 })
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if d := tm.delay(i); d < want*9/10 || d > want*11/10 {
			t.Errorf("retry %d after %v, want about %v", i+1, d, want)
		}
	}
	delete(r.cloud.failures, "observe")
	tm.fire(3)
	waitFor(t, "a good cycle", func() bool { return tm.count() == 5 })
	if d := tm.delay(4); d < 54*time.Minute {
		t.Errorf("after success the delay is %v, want the interval", d)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("loop returned %v", err)
	}
}

// gatedProvider blocks Observe until released and tracks concurrency.
type gatedProvider struct {
	*fakeProvider
	gate          chan struct{}
	inside, most  atomic.Int32
	observeCalled chan struct{}
}

// Kind serves the gated observer for instances.
func (g *gatedProvider) Kind(_ context.Context, k wal.ResourceKind) (KindProvider, error) {
	if k != wal.ResourceInstance {
		return emptyKind{k}, nil
	}
	return g, nil
}

func (g *gatedProvider) Observe(ctx context.Context) ([]wal.Resource, error) {
	n := g.inside.Add(1)
	defer g.inside.Add(-1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	g.observeCalled <- struct{}{}
	<-g.gate
	return g.fakeProvider.Observe(ctx)
}

func TestCyclesNeverOverlap(t *testing.T) {
	r := newRig(t, webYAML)
	gp := &gatedProvider{fakeProvider: r.cloud, gate: make(chan struct{}), observeCalled: make(chan struct{}, 8)}
	tm := &timers{}
	e := r.engine(func(o *Options) { o.Provider = gp; o.After = tm.after })
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Run(context.Background(), Request{Config: &r.cfg}); err != nil {
				t.Error(err)
			}
		}()
	}
	for range 3 {
		<-gp.observeCalled // one cycle is inside Observe; the others wait for their turn
		gp.gate <- struct{}{}
	}
	wg.Wait()
	if gp.most.Load() != 1 {
		t.Fatalf("%d cycles ran at once", gp.most.Load())
	}
	if summaries(r.log) != 3 || r.cloud.byGroup()["web"] != 2 {
		t.Fatalf("summaries = %d, cloud = %v", summaries(r.log), r.cloud.byGroup())
	}
}

func TestRunWaitsForItsTurnWithContext(t *testing.T) {
	r := newRig(t, webYAML)
	gp := &gatedProvider{fakeProvider: r.cloud, gate: make(chan struct{}), observeCalled: make(chan struct{}, 1)}
	e := r.engine(func(o *Options) { o.Provider = gp })
	go func() { _, _ = e.Run(context.Background(), Request{Config: &r.cfg}) }()
	<-gp.observeCalled
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := e.Run(ctx, Request{Config: &r.cfg}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	gp.gate <- struct{}{}
}
