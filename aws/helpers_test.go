package aws

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
)

const testRegion = "us-east-1"

// testClock is the provider's clock in tests: it reads the simulator's
// ManualClock, and every wait advances it, so rate limiting, consistency
// retries and stop polling cost no wall time while the simulator sees the
// same time pass.
type testClock struct {
	sim *ec2sim.ManualClock

	mu    sync.Mutex
	waits []time.Duration
}

func (c *testClock) Now() time.Time { return c.sim.Now() }

func (c *testClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	c.sim.Advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.sim.Now()
	return ch
}

// waited is the total time the provider waited.
func (c *testClock) waited() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum time.Duration
	for _, d := range c.waits {
		sum += d
	}
	return sum
}

// isolateAWSEnv points every AWS configuration source away from the host:
// no environment credentials, no shared files, no IMDS, no endpoint.
func isolateAWSEnv(t testing.TB) {
	dir := t.TempDir()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_EC2", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CA_BUNDLE",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// setTestCredentials isolates the environment and sets static credentials
// the simulator accepts.
func setTestCredentials(t testing.TB) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
}

// env is a simulator on 127.0.0.1 and a provider talking to it through
// the real SDK client.
type env struct {
	t     testing.TB
	sim   *ec2sim.Server
	clock *testClock // nil when the provider uses the wall clock
	url   string
	p     *Provider
	raw   *ec2.Client // a plain SDK client, for arranging state behind Ovi's back
}

// newEnv starts a simulator and a provider. Unless simOpts sets a clock,
// both share a ManualClock (provider waits advance it). Unless opts sets
// them, the SDK retry backoff is capped at 20 ms and consistency and stop
// waits are short.
func newEnv(t testing.TB, simOpts ec2sim.Options, opts Options) *env {
	t.Helper()
	setTestCredentials(t)
	e := &env{t: t}
	if simOpts.Clock == nil {
		e.clock = &testClock{sim: ec2sim.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
		simOpts.Clock = e.clock.sim
		if opts.Clock == nil {
			opts.Clock = e.clock
		}
	}
	simOpts.Region = testRegion
	e.sim = ec2sim.New(simOpts)
	url, stop, err := e.sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(stop)
	e.url = url
	opts.Region = testRegion
	if opts.Endpoint == "" {
		opts.Endpoint = url
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 20 * time.Millisecond
	}
	if opts.Consistency == (Backoff{}) {
		opts.Consistency = Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Total: 10 * time.Second}
	}
	e.p, err = New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.raw = ec2.New(ec2.Options{
		Region:       testRegion,
		BaseEndpoint: awssdk.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	e.sim.ResetCounts()
	return e
}

// calls returns how many requests the simulator received for action.
func (e *env) calls(action string) int { return e.sim.Counts()[action] }

// create launches count instances of group through the provider.
func (e *env) create(group string, count int, tags map[string]string) []string {
	e.t.Helper()
	decision := fmt.Sprintf("decision-%s-%d-%d", group, count, len(e.sim.Instances()))
	res, err := e.p.Create(context.Background(), createRequest(group, count, decision, tags))
	if err != nil {
		e.t.Fatalf("create %s: %v", group, err)
	}
	if len(res.IDs) != count {
		e.t.Fatalf("create %s: launched %d, want %d", group, len(res.IDs), count)
	}
	return res.IDs
}

func createRequest(group string, count int, decision string, tags map[string]string) CreateRequest {
	return CreateRequest{
		Group:       group,
		Count:       count,
		Size:        "t3.micro",
		ImageID:     ec2sim.NewestAL2023,
		Tags:        tags,
		DecisionID:  decision,
		ClientToken: ClientToken(decision, 1),
	}
}

// launchUnmanaged launches count instances behind Ovi's back (no Ovi tags),
// at most 1000 per call, and returns their ids.
func (e *env) launchUnmanaged(count int) []string {
	e.t.Helper()
	var ids []string
	for count > 0 {
		n := min(count, 1000)
		if e.clock != nil {
			e.clock.sim.Advance(time.Second) // refill the simulator's RunInstances bucket
		}
		out, err := e.raw.RunInstances(context.Background(), &ec2.RunInstancesInput{
			MinCount: awssdk.Int32(int32(n)), MaxCount: awssdk.Int32(int32(n)),
			ImageId: awssdk.String(ec2sim.NewestAL2023), InstanceType: types.InstanceTypeT3Small,
		})
		if err != nil {
			e.t.Fatalf("launch unmanaged: %v", err)
		}
		for _, inst := range out.Instances {
			ids = append(ids, awssdk.ToString(inst.InstanceId))
		}
		count -= n
	}
	return ids
}

// simInstance returns the simulator's copy of one instance.
func (e *env) simInstance(id string) ec2sim.Instance {
	e.t.Helper()
	for _, in := range e.sim.Instances() {
		if in.ID == id {
			return in
		}
	}
	e.t.Fatalf("instance %s not in the simulator", id)
	return ec2sim.Instance{}
}

func simTag(in ec2sim.Instance, key string) (string, bool) {
	for _, tg := range in.Tags {
		if tg.Key == key {
			return tg.Value, true
		}
	}
	return "", false
}

// wantCode asserts err carries a *reconcile.ProviderError with code.
func wantCode(t testing.TB, err error, code string, terminal bool) {
	t.Helper()
	var pe *reconcile.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v: want a *reconcile.ProviderError with code %s", err, code)
	}
	if pe.Code != code || pe.Terminal != terminal {
		t.Fatalf("error %v: code %s terminal %v, want %s terminal %v", err, pe.Code, pe.Terminal, code, terminal)
	}
}

// pages is the number of DescribeInstances calls observing n instances
// must cost: ceil(n/1000), and one call for none.
func pages(n int) int { return max(1, (n+999)/1000) }

// wantTerminal asserts err carries a terminal *reconcile.ProviderError and
// stores it in pe.
func wantTerminal(t testing.TB, err error, pe **reconcile.ProviderError) {
	t.Helper()
	if !errors.As(err, pe) || !(*pe).Terminal {
		t.Fatalf("error %v: want a terminal *reconcile.ProviderError", err)
	}
}

// totalCalls is the number of requests the simulator received.
func totalCalls(e *env) int {
	n := 0
	for _, c := range e.sim.Counts() {
		n += c
	}
	return n
}
