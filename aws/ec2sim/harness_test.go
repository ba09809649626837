package ec2sim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	oviaws "github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
)

// epoch is where every test's manual clock starts.
var epoch = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// al2023 is an image id the catalogue holds.
const al2023 = ec2sim.NewestAL2023

// harness is a simulator on a real listener and a real SDK client for it.
type harness struct {
	sim    *ec2sim.Server
	client *ec2.Client
	clock  *ec2sim.ManualClock
	url    string
}

// testLifecycle: every transition takes 10 s, terminated instances stay an hour.
func testLifecycle() *ec2sim.Lifecycle {
	return &ec2sim.Lifecycle{
		Pending: 10 * time.Second, Stopping: 10 * time.Second,
		ShuttingDown: 10 * time.Second, TerminatedRetention: time.Hour,
	}
}

// quietOptions: a manual clock, test lifecycle, no throttling.
func quietOptions() ec2sim.Options {
	return ec2sim.Options{Seed: 1, Lifecycle: testLifecycle(), Throttle: ec2sim.Throttle{Disabled: true}}
}

// newHarness starts a simulator with opts (a ManualClock at epoch if
// opts.Clock is nil) and an SDK client with retries disabled.
func newHarness(t testing.TB, opts ec2sim.Options) *harness {
	t.Helper()
	clock, _ := opts.Clock.(*ec2sim.ManualClock)
	if opts.Clock == nil {
		clock = ec2sim.NewManualClock(epoch)
		opts.Clock = clock
	}
	sim := ec2sim.New(opts)
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(stop)
	return &harness{sim: sim, client: newClient(url), clock: clock, url: url}
}

// newClient builds the real SDK client. API errors are never retried (every
// error code the simulator answers reaches the test on the first call).
// net/http gets its own copy of each request body, as the provider's
// client does: with a server this fast, the SDK closes the body as soon as
// the response arrives, which can be before net/http's writer has finished
// with it; the writer then tears the connection down under the response
// ("use of closed network connection", aws/aws-sdk-go-v2#2737). A test
// built with noRetries (the throttling tests, which count every call) saw
// that as a failed call now and then. Transport errors are still retried
// for the other tests.
func newClient(url string, optFns ...func(*ec2.Options)) *ec2.Client {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      transportOnlyRetryer,
		HTTPClient:   oviaws.PrivateBodyClient(awshttp.NewBuildableClient()),
	}
	return ec2.NewFromConfig(cfg, optFns...)
}

// transportOnlyRetryer retries connection failures (3 attempts, no backoff)
// and nothing else.
func transportOnlyRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// run launches n instances of al2023 with the given tags and returns their ids.
func (h *harness) run(t testing.TB, n int32, token string, tags ...types.Tag) []string {
	t.Helper()
	out, err := h.client.RunInstances(context.Background(), runInput(n, token, tags...))
	if err != nil {
		t.Fatalf("RunInstances(%d): %v", n, err)
	}
	ids := make([]string, 0, len(out.Instances))
	for _, in := range out.Instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	return ids
}

func runInput(n int32, token string, tags ...types.Tag) *ec2.RunInstancesInput {
	in := &ec2.RunInstancesInput{
		ImageId: aws.String(al2023), InstanceType: types.InstanceTypeT3Micro,
		MinCount: aws.Int32(n), MaxCount: aws.Int32(n),
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tags}}
	}
	return in
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

// describeAll pages through DescribeInstances and returns every instance.
func (h *harness) describeAll(t testing.TB, in *ec2.DescribeInstancesInput) []types.Instance {
	t.Helper()
	var out []types.Instance
	p := ec2.NewDescribeInstancesPaginator(h.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("DescribeInstances: %v", err)
		}
		for _, r := range page.Reservations {
			out = append(out, r.Instances...)
		}
	}
	return out
}

// stateOf describes one instance by id and returns its state name.
func (h *harness) stateOf(t testing.TB, id string) types.InstanceStateName {
	t.Helper()
	out, err := h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeInstances(%s): %v", id, err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("DescribeInstances(%s): %d reservations", id, len(out.Reservations))
	}
	return out.Reservations[0].Instances[0].State.Name
}

// wantCode asserts err is an API error with the given code and returns its
// message.
func wantCode(t testing.TB, err error, code string) string {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	return apiErr.ErrorMessage()
}

// terminate terminates ids and fails the test on error.
func (h *harness) terminate(t testing.TB, ids ...string) *ec2.TerminateInstancesOutput {
	t.Helper()
	out, err := h.client.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatalf("TerminateInstances: %v", err)
	}
	return out
}

// faultOf is a one-shot fault with the given code.
func faultOf(code string) ec2sim.Fault { return ec2sim.Fault{Code: code, Times: 1} }
