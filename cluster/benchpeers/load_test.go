package benchpeers

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRunLoadRunsEveryOperationOnce(t *testing.T) {
	var seen [500]atomic.Int32
	var inFlight, peak atomic.Int32
	s, err := RunLoad(context.Background(), 8, len(seen), func(_ context.Context, i int) error {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		seen[i].Add(1)
		inFlight.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("operation %d ran %d times", i, seen[i].Load())
		}
	}
	if peak.Load() > 8 {
		t.Fatalf("%d operations in flight with 8 clients", peak.Load())
	}
	if s.OpsPerSec <= 0 {
		t.Fatalf("no rate: %+v", s)
	}
}

func TestRunLoadFailsOnAnyError(t *testing.T) {
	boom := errors.New("boom")
	_, err := RunLoad(context.Background(), 4, 100, func(_ context.Context, i int) error {
		if i%10 == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "10 of 100 operations failed") {
		t.Fatalf("err = %v", err)
	}
	if _, err := RunLoad(context.Background(), 0, 1, nil); err == nil {
		t.Fatal("0 clients accepted")
	}
}

func TestRunLoadStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	_, err := RunLoad(ctx, 1, 1000, func(context.Context, int) error {
		if ran.Add(1) == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || ran.Load() != 5 {
		t.Fatalf("err = %v after %d operations", err, ran.Load())
	}
}
