package aws

import (
	"context"
	"fmt"

	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/time/rate"

	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/yairfalse/ovi/reconcile"
)

// Bucket is one token bucket: Burst requests at once, refilled at Rate
// requests per second.
type Bucket struct {
	Burst int
	Rate  float64
}

// Limits are the client-side token buckets, one per EC2 action class. EC2
// throttles per account and region with buckets of the same shape; keeping
// Ovi's own requests inside them means Ovi never provokes
// RequestLimitExceeded itself. Every attempt, retries included, takes a
// token.
type Limits struct {
	RunInstances Bucket // RunInstances
	Mutating     Bucket // TerminateInstances, Stop/StartInstances, ModifyInstanceAttribute, ...
	Tags         Bucket // CreateTags, DeleteTags
	Describe     Bucket // Describe* calls
}

// DefaultLimits mirrors EC2's documented request buckets.
func DefaultLimits() Limits {
	return Limits{
		RunInstances: Bucket{Burst: 5, Rate: 2},
		Mutating:     Bucket{Burst: 50, Rate: 5},
		Tags:         Bucket{Burst: 100, Rate: 10},
		Describe:     Bucket{Burst: 100, Rate: 20},
	}
}

func (l Limits) orDefault(def Limits) Limits {
	pick := func(b, d Bucket) Bucket {
		if b.Burst <= 0 || b.Rate <= 0 {
			return d
		}
		return b
	}
	return Limits{
		RunInstances: pick(l.RunInstances, def.RunInstances),
		Mutating:     pick(l.Mutating, def.Mutating),
		Tags:         pick(l.Tags, def.Tags),
		Describe:     pick(l.Describe, def.Describe),
	}
}

// limiter holds one token bucket per action class and implements the SDK's
// BeforeAttempt interceptor, so it sits inside the retry loop.
type limiter struct {
	clock    Clock
	metrics  APIMetrics // nil: none
	run      *rate.Limiter
	mutating *rate.Limiter
	tags     *rate.Limiter
	describe *rate.Limiter
}

func newLimiter(l Limits, clock Clock) *limiter {
	mk := func(b Bucket) *rate.Limiter { return rate.NewLimiter(rate.Limit(b.Rate), b.Burst) }
	return &limiter{
		clock:    clock,
		run:      mk(l.RunInstances),
		mutating: mk(l.Mutating),
		tags:     mk(l.Tags),
		describe: mk(l.Describe),
	}
}

// bucket returns the bucket of an EC2 action (see bucketName).
func (l *limiter) bucket(operation string) *rate.Limiter {
	switch bucketName(operation) {
	case BucketRunInstances:
		return l.run
	case BucketTags:
		return l.tags
	case BucketDescribe:
		return l.describe
	}
	return l.mutating
}

// BeforeAttempt implements smithyhttp.BeforeAttemptInterceptor.
func (l *limiter) BeforeAttempt(ctx context.Context, _ *smithyhttp.InterceptorContext) error {
	op := smithymw.GetOperationName(ctx)
	return l.wait(ctx, op)
}

// wait takes one token of op's bucket, waiting on the provider's clock. It
// is rate.Limiter.Wait with an injectable clock.
func (l *limiter) wait(ctx context.Context, op string) error {
	lim := l.bucket(op)
	now := l.clock.Now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("aws: rate limit for %s: burst %d is below one request", op, lim.Burst())
	}
	delay := r.DelayFrom(now)
	if delay <= 0 {
		return nil
	}
	select {
	case <-l.clock.After(delay):
		if l.metrics != nil {
			l.metrics.RateLimitWait(bucketName(op), delay)
		}
		if t := reconcile.TallyFrom(ctx); t != nil {
			t.Waited(delay)
		}
		return nil
	case <-ctx.Done():
		r.CancelAt(l.clock.Now())
		return fmt.Errorf("aws: rate limit for %s: %w", op, ctx.Err())
	}
}
