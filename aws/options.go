package aws

import (
	"log/slog"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// Options configures New. Only Region is required; credentials come from
// the SDK's standard chain (environment, shared config and credentials
// files with profiles, IMDS) and the endpoint from the SDK's standard
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 unless Endpoint overrides it.
type Options struct {
	// Region is the AWS region, from infrastructure.yaml (e.g. us-east-1).
	Region string
	// Endpoint optionally overrides the EC2 endpoint (the file's endpoint
	// field), e.g. http://127.0.0.1:4566 for the simulator. It takes
	// precedence over AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL.
	Endpoint string
	// Credentials replaces the standard chain's credentials (dev mode's
	// simulator takes any static keys); nil uses the chain.
	Credentials awssdk.CredentialsProvider
	// HTTPClient replaces the default client (5 s dial timeout, 60 s per
	// request attempt).
	HTTPClient awssdk.HTTPClient
	// Clock replaces the wall clock (rate limiting, consistency retries,
	// stop polling).
	Clock Clock
	// Logger receives the provider's logs; nil discards them.
	Logger *slog.Logger
	// Metrics receives every request attempt and rate-limiter wait; nil
	// reports nothing.
	Metrics APIMetrics
	// Limits are the client-side token buckets; zero buckets take the EC2
	// defaults (DefaultLimits).
	Limits Limits
	// MaxAttempts bounds the SDK's standard retryer per call, first
	// attempt included (default 5).
	MaxAttempts int
	// MaxBackoff caps one retry delay of the SDK's retryer (default 20 s).
	MaxBackoff time.Duration
	// Consistency bounds the retries of InvalidInstanceID.NotFound on ids
	// that may just have been launched (default 250 ms doubling to 2 s,
	// 15 s in total).
	Consistency Backoff
	// StopWait bounds the wait for a stopped instance during Resize
	// (default 2 s doubling to 15 s, 10 min in total).
	StopWait Backoff
	// CredentialsTimeout bounds the credential check in New (default 5 s).
	CredentialsTimeout time.Duration
	// ProbeTimeout bounds the reachability probe in New (default 15 s).
	ProbeTimeout time.Duration
}

// Backoff bounds a retry or polling loop: waits start at Initial, double up
// to Max, and the loop gives up once Total has elapsed.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Total   time.Duration
}

// next returns the wait after wait d.
func (b Backoff) next(d time.Duration) time.Duration {
	if d <= 0 {
		return b.Initial
	}
	return min(2*d, b.Max)
}

func (b Backoff) orDefault(def Backoff) Backoff {
	if b.Initial <= 0 {
		b.Initial = def.Initial
	}
	if b.Max < b.Initial {
		b.Max = max(def.Max, b.Initial)
	}
	if b.Total <= 0 {
		b.Total = def.Total
	}
	return b
}

// Defaults applied by New.
const (
	defaultMaxAttempts        = 5
	defaultMaxBackoff         = 20 * time.Second
	defaultCredentialsTimeout = 5 * time.Second
	defaultProbeTimeout       = 15 * time.Second
	defaultDialTimeout        = 5 * time.Second
	defaultAttemptTimeout     = 60 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = noMetrics{}
	}
	o.Limits = o.Limits.orDefault(DefaultLimits())
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	o.Consistency = o.Consistency.orDefault(Backoff{Initial: 250 * time.Millisecond, Max: 2 * time.Second, Total: 15 * time.Second})
	o.StopWait = o.StopWait.orDefault(Backoff{Initial: 2 * time.Second, Max: 15 * time.Second, Total: 10 * time.Minute})
	if o.CredentialsTimeout <= 0 {
		o.CredentialsTimeout = defaultCredentialsTimeout
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = defaultProbeTimeout
	}
	return o
}
