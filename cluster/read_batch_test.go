package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every read must get an index from a round that started after it did.
func TestReadBatcherNeverReusesAnEarlierRound(t *testing.T) {
	var b readBatcher
	var counter atomic.Uint64 // the "commit index": advances once per round
	release := make(chan struct{})
	fetch := func(context.Context) (uint64, error) {
		idx := counter.Add(1)
		<-release
		return idx, nil
	}
	ctx := context.Background()
	first := make(chan uint64)
	go func() { idx, _ := b.get(ctx, fetch); first <- idx }()
	waitFor(t, "round 1 in flight", 2*time.Second, func() bool { return counter.Load() == 1 })
	// These start while round 1 is in flight: they must not get index 1.
	var wg sync.WaitGroup
	got := make([]uint64, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = b.get(ctx, fetch)
		}()
	}
	waitFor(t, "late readers queued", 2*time.Second, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.next != nil
	})
	close(release)
	if idx := <-first; idx != 1 {
		t.Fatalf("first read got %d", idx)
	}
	wg.Wait()
	for i, idx := range got {
		if idx < 2 {
			t.Fatalf("reader %d got index %d from a round that started before it", i, idx)
		}
	}
	if n := counter.Load(); n > 3 {
		t.Fatalf("%d rounds for 9 reads; batching did not share rounds", n)
	}
}

func TestReadBatcherHonoursContext(t *testing.T) {
	var b readBatcher
	block := make(chan struct{})
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := b.get(ctx, func(context.Context) (uint64, error) { <-block; return 1, nil })
	if err == nil {
		t.Fatal("no error after the context ended")
	}
}
