package ec2sim

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttler keeps one token bucket per action class, measured on the
// server's clock (so a ManualClock that does not move never refills).
type throttler struct {
	mu       sync.Mutex
	disabled bool
	buckets  map[ActionClass]*rate.Limiter
}

func newThrottler(cfg Throttle) *throttler {
	t := &throttler{}
	t.configure(cfg)
	return t
}

// configure replaces every bucket (full) according to cfg.
func (t *throttler) configure(cfg Throttle) {
	buckets := DefaultBuckets()
	for class, b := range cfg.Buckets {
		buckets[class] = b
	}
	limiters := make(map[ActionClass]*rate.Limiter, len(buckets))
	for class, b := range buckets {
		limiters[class] = rate.NewLimiter(rate.Limit(b.RefillPerSecond), b.Capacity)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.disabled = cfg.Disabled
	t.buckets = limiters
}

// allow takes one token from class's bucket at now, reporting false (throttled)
// when the bucket is empty.
func (t *throttler) allow(class ActionClass, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.disabled {
		return true
	}
	l, ok := t.buckets[class]
	if !ok {
		return true
	}
	return l.AllowN(now, 1)
}

// counter counts requests per action.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newCounter() *counter { return &counter{counts: make(map[string]int)} }

func (c *counter) inc(action string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[action]++
}

// snapshot returns a copy of the counts.
func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = make(map[string]int)
}
