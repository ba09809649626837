package notify

import (
	"math/rand/v2"
	"time"
)

// Delay is the wait before retry n (1 for the first retry) under r:
// exponential (InitialBackoff·2^(n-1), capped at MaxBackoff) with equal
// jitter — half of it fixed, half uniformly random — so retries from many
// agents spread out but a delay never collapses to zero. rnd returns a
// float in [0, 1).
func (r Retry) Delay(n int, rnd func() float64) time.Duration {
	d := r.InitialBackoff
	for i := 1; i < n && d < r.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.MaxBackoff)
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}

// Window is the shortest time r keeps retrying one event: the sum of the
// fixed halves of its delays. An outage shorter than this loses nothing
// (docs/operations.md, "Notifications").
func (r Retry) Window() time.Duration {
	var sum time.Duration
	for n := 1; n < r.Attempts; n++ {
		sum += r.Delay(n, func() float64 { return 0 })
	}
	return sum
}

// jitter is the default random source.
func jitter() float64 { return rand.Float64() } //nolint:gosec // jitter needs no cryptographic randomness
