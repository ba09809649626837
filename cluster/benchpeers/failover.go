package benchpeers

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Failover probing: every probeEvery, one write is started through each
// survivor (at most probeInFlight unanswered per survivor, each given
// probeTimeout); the gap ends when the first of them commits. The short
// timeout matters: a write a follower forwards to the dead leader waits
// (etcd's until its request timeout of seconds), and probes stuck that
// way must not hold back the probes that the new leader would commit.
const (
	probeEvery    = 10 * time.Millisecond
	probeInFlight = 64
	probeTimeout  = 500 * time.Millisecond
	gapTimeout    = 60 * time.Second
)

// MeasureFailover kills the leader kills times: each gap is from the
// kill -9 to the first write that commits through a survivor. The killed
// process is started again and the system is ready before the next kill.
func MeasureFailover(ctx context.Context, s System, kills int) ([]time.Duration, error) {
	var gaps []time.Duration
	for k := range kills {
		l, err := s.Leader(ctx)
		if err != nil {
			return gaps, err
		}
		if err := s.Write(ctx, l); err != nil {
			return gaps, fmt.Errorf("benchpeers: %s: write before kill %d: %w", s.Name(), k+1, err)
		}
		p := s.Procs()[l]
		killed := time.Now()
		p.Kill()
		gap, err := firstCommit(ctx, s, survivors(len(s.Procs()), l), killed)
		if err != nil {
			return gaps, fmt.Errorf("benchpeers: %s: kill %d of %s: %w", s.Name(), k+1, p.Name, err)
		}
		gaps = append(gaps, gap)
		if err := p.Start(); err != nil {
			return gaps, err
		}
		if err := waitReady(ctx, s); err != nil {
			return gaps, err
		}
	}
	return gaps, nil
}

func survivors(n, dead int) []int {
	var out []int
	for i := range n {
		if i != dead {
			out = append(out, i)
		}
	}
	return out
}

// firstCommit probes the survivors until a write commits and returns the
// time from since to that commit.
func firstCommit(ctx context.Context, s System, nodes []int, since time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, gapTimeout)
	defer cancel()
	done := make(chan time.Time, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	slots := make([]chan struct{}, len(nodes))
	for i := range slots {
		slots[i] = make(chan struct{}, probeInFlight)
	}
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		for i, n := range nodes {
			select {
			case slots[i] <- struct{}{}:
			default:
				continue // this survivor has probeInFlight writes waiting
			}
			wg.Add(1)
			go func(slot chan struct{}, n int) {
				defer wg.Done()
				defer func() { <-slot }()
				pctx, pcancel := context.WithTimeout(ctx, probeTimeout)
				defer pcancel()
				if s.Write(pctx, n) == nil {
					select {
					case done <- time.Now():
					default:
					}
				}
			}(slots[i], n)
		}
		select {
		case at := <-done:
			return at.Sub(since), nil
		case <-ctx.Done():
			return 0, fmt.Errorf("no write committed through a survivor: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
