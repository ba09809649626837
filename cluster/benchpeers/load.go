package benchpeers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// RunLoad runs total operations spread over clients closed-loop workers
// (each starts its next operation when the last returns) and summarizes
// them. Any failed operation fails the load: a benchmark that drops
// errors measures something else.
func RunLoad(ctx context.Context, clients, total int, op func(ctx context.Context, i int) error) (Sample, error) {
	if clients < 1 || total < 1 {
		return Sample{}, fmt.Errorf("benchpeers: load needs clients and total >= 1, have %d and %d", clients, total)
	}
	lat := make([]time.Duration, total)
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < total && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return Sample{}, fmt.Errorf("benchpeers: load: %w", err)
	}
	if n := failed.Load(); n > 0 {
		return Sample{}, fmt.Errorf("benchpeers: %d of %d operations failed, the first: %w", n, total, firstErr.Load().(error))
	}
	return Summarize(lat, elapsed), nil
}
