package ec2sim

import (
	"log/slog"
	"time"
)

// Options configure a Server. The zero value is a usable simulator on the
// wall clock with EC2's default throttling and no eventual-consistency delay.
type Options struct {
	// Clock drives lifecycle transitions, visibility windows and throttling
	// refills. nil means SystemClock.
	Clock Clock
	// Logger receives state-file errors (Error) and one line per request
	// (Debug). nil discards.
	Logger *slog.Logger
	// Seed makes instance and reservation ids reproducible: two servers with
	// the same seed and the same calls hand out the same ids.
	Seed uint64
	// Region names the simulated region (default "us-east-1"); instances are
	// placed in its "a" availability zone.
	Region string
	// AccountID is the owner of every reservation (default "123456789012").
	AccountID string
	// Lifecycle sets how long transitional states last. nil means
	// DefaultLifecycle().
	Lifecycle *Lifecycle
	// Latency is added to every request before it is handled (wall time).
	Latency time.Duration
	// Throttle configures the per-action-class token buckets.
	Throttle Throttle
	// ConsistencyWindow hides a freshly launched instance from
	// DescribeInstances and from every call naming its id for this long.
	ConsistencyWindow time.Duration
	// IgnoreClientToken makes RunInstances and CreateVolume ignore ClientToken, like some
	// EC2-compatible endpoints do: every call launches.
	IgnoreClientToken bool
	// LaunchCapacity caps how many instances one RunInstances call may
	// launch (0 = unlimited). A call whose MinCount exceeds it fails with
	// InsufficientInstanceCapacity.
	LaunchCapacity int
	// StateFile, when set, is loaded on start and rewritten atomically after
	// every successful mutating call.
	StateFile string
}

// Lifecycle holds the duration of each transitional instance state. A zero
// duration means the transition has happened by the next request.
type Lifecycle struct {
	// Pending is how long pending lasts before running (launch and start).
	Pending time.Duration
	// Stopping is how long stopping lasts before stopped.
	Stopping time.Duration
	// ShuttingDown is how long shutting-down lasts before terminated.
	ShuttingDown time.Duration
	// TerminatedRetention is how long a terminated instance stays visible.
	TerminatedRetention time.Duration
	// Volume holds the EBS volume transitions (volume_lifecycle.go).
	Volume VolumeLifecycle
}

// DefaultLifecycle returns durations in the range EC2 shows.
func DefaultLifecycle() Lifecycle {
	return Lifecycle{
		Pending:             10 * time.Second,
		Stopping:            15 * time.Second,
		ShuttingDown:        15 * time.Second,
		TerminatedRetention: time.Hour,
		Volume:              DefaultVolumeLifecycle(),
	}
}

// ActionClass names one of EC2's throttling buckets.
type ActionClass string

// The throttling classes EC2 applies per account and region.
const (
	// ClassRunInstances is RunInstances alone.
	ClassRunInstances ActionClass = "run-instances"
	// ClassMutating is every other mutating call (terminate, stop, start, modify).
	ClassMutating ActionClass = "mutating"
	// ClassTags is CreateTags and DeleteTags.
	ClassTags ActionClass = "tags"
	// ClassDescribe is every Describe* call.
	ClassDescribe ActionClass = "describe"
)

// Bucket is a token bucket: Capacity requests in a burst, refilled at
// RefillPerSecond.
type Bucket struct {
	Capacity        int
	RefillPerSecond float64
}

// Throttle configures RequestLimitExceeded.
type Throttle struct {
	// Disabled turns throttling off entirely.
	Disabled bool
	// Buckets overrides EC2's defaults per class (see DefaultBuckets).
	Buckets map[ActionClass]Bucket
}

// DefaultBuckets returns EC2's documented bucket sizes and refill rates.
func DefaultBuckets() map[ActionClass]Bucket {
	return map[ActionClass]Bucket{
		ClassRunInstances: {Capacity: 5, RefillPerSecond: 2},
		ClassMutating:     {Capacity: 50, RefillPerSecond: 5},
		ClassTags:         {Capacity: 100, RefillPerSecond: 10},
		ClassDescribe:     {Capacity: 100, RefillPerSecond: 20},
	}
}

// withDefaults fills unset fields.
func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	lc := DefaultLifecycle()
	if o.Lifecycle != nil {
		lc = *o.Lifecycle // a copy: the caller may reuse its value
	}
	o.Lifecycle = &lc
	return o
}
