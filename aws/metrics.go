package aws

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/yairfalse/ovi/reconcile"
)

// APIMetrics receives one report per EC2 request attempt (retries
// included) and per wait of the client-side rate limiter, for monitoring
// (Options.Metrics; nil reports nothing). Every value is bounded: Action
// is an EC2 operation name, ErrorCode an EC2 error code or one of the
// classes below, Bucket a limiter class. Implementations must be safe for
// concurrent use.
type APIMetrics interface {
	APICall(APICall)
	RateLimitWait(bucket string, d time.Duration)
}

// APICall is one request attempt.
type APICall struct {
	Action    string        // EC2 operation, e.g. DescribeInstances
	ErrorCode string        // ErrorNone, an EC2 error code, or ErrorCanceled/ErrorTimeout/ErrorTransport/ErrorOther
	Throttled bool          // the code is one the SDK treats as throttling (RequestLimitExceeded, …)
	Duration  time.Duration // the attempt, from the signed request to the parsed answer
}

// Error classes of APICall.ErrorCode besides EC2's own codes.
const (
	ErrorNone      = "none"      // the attempt succeeded
	ErrorCanceled  = "Canceled"  // the caller's context ended
	ErrorTimeout   = "Timeout"   // a deadline passed
	ErrorTransport = "Transport" // no answer from EC2: connection refused, reset, DNS …
	ErrorOther     = "Other"     // an answer whose code does not look like an EC2 error code
)

// Rate-limiter buckets, as reported to APIMetrics.RateLimitWait.
const (
	BucketRunInstances = "run_instances"
	BucketMutating     = "mutating"
	BucketTags         = "tags"
	BucketDescribe     = "describe"
)

// errorCodePattern bounds the codes passed on as labels: EC2 codes are
// short words with dots (InvalidInstanceID.NotFound); anything else an
// endpoint sends becomes ErrorOther.
var errorCodePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]{0,63}$`)

// callMetrics is a finalize middleware at the end of the finalize step,
// inside the retry loop: it sees every attempt and its deserialized error.
// It reports each attempt to the sink and to the reconcile.CallTally the
// caller's context carries (a cycle's count of its calls).
type callMetrics struct {
	sink  APIMetrics
	clock Clock
}

// ID implements smithymw.FinalizeMiddleware.
func (callMetrics) ID() string { return "OviCallMetrics" }

// HandleFinalize implements smithymw.FinalizeMiddleware.
func (m callMetrics) HandleFinalize(ctx context.Context, in smithymw.FinalizeInput, next smithymw.FinalizeHandler) (
	smithymw.FinalizeOutput, smithymw.Metadata, error) {
	start := m.clock.Now()
	out, md, err := next.HandleFinalize(ctx, in)
	code := callErrorCode(err)
	_, throttled := retry.DefaultThrottleErrorCodes[code]
	op := smithymw.GetOperationName(ctx)
	m.sink.APICall(APICall{Action: op, ErrorCode: code, Throttled: throttled, Duration: m.clock.Now().Sub(start)})
	if t := reconcile.TallyFrom(ctx); t != nil {
		t.Call(op, bucketName(op)) // the cycle's own count of its calls (its API budget)
	}
	return out, md, err
}

// addTo registers the middleware on a client's stack.
func (m callMetrics) addTo(stack *smithymw.Stack) error {
	return stack.Finalize.Add(m, smithymw.After)
}

// callErrorCode classifies an attempt's error as a bounded label value.
func callErrorCode(err error) string {
	var api smithy.APIError
	switch {
	case err == nil:
		return ErrorNone
	case errors.As(err, &api):
		if code := api.ErrorCode(); errorCodePattern.MatchString(code) {
			return code
		}
		return ErrorOther
	case errors.Is(err, context.Canceled):
		return ErrorCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return ErrorTimeout
	}
	return ErrorTransport
}

// noMetrics is APIMetrics that reports nothing.
type noMetrics struct{}

func (noMetrics) APICall(APICall)                     {}
func (noMetrics) RateLimitWait(string, time.Duration) {}

// bucketName names the limiter bucket of an EC2 action (as limiter.bucket
// picks it).
func bucketName(operation string) string {
	switch {
	case operation == "RunInstances":
		return BucketRunInstances
	case operation == "CreateTags" || operation == "DeleteTags":
		return BucketTags
	case strings.HasPrefix(operation, "Describe"):
		return BucketDescribe
	}
	return BucketMutating
}

// Operations lists the EC2 operations the provider calls (the methods of
// its client seam), for metrics that start every series at zero.
func Operations() []string {
	t := reflect.TypeFor[ec2API]()
	out := make([]string, t.NumMethod())
	for i := range out {
		out[i] = t.Method(i).Name
	}
	return out
}

// Buckets lists the client-side rate-limiter buckets.
func Buckets() []string {
	return []string{BucketRunInstances, BucketMutating, BucketTags, BucketDescribe}
}
