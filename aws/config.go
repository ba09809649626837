package aws

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/smithy-go/logging"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// regionPattern matches AWS region names: partition prefix, optional
// gov/iso qualifier, direction, number (us-east-1, eu-central-2,
// us-gov-west-1, cn-north-1, us-isob-east-1).
var regionPattern = regexp.MustCompile(
	`^(us|eu|ap|ca|sa|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$`)

// New builds an EC2 provider for opts.Region from the SDK's standard
// configuration chain and checks, before returning, that credentials
// resolve and that the endpoint answers. Every failure is one line.
func New(ctx context.Context, opts Options) (*Provider, error) {
	opts = opts.withDefaults()
	if err := validateRegion(opts.Region); err != nil {
		return nil, err
	}
	if err := validateEndpoint(opts.Endpoint); err != nil {
		return nil, err
	}
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkCredentials(ctx, cfg, opts); err != nil {
		return nil, err
	}
	lim := newLimiter(opts.Limits, opts.Clock)
	lim.metrics = opts.Metrics
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = awssdk.String(opts.Endpoint)
		}
		o.Interceptors.AddBeforeAttempt(lim)
		o.APIOptions = append(o.APIOptions, callMetrics{sink: opts.Metrics, clock: opts.Clock}.addTo)
		o.HTTPClient = privateBody{next: o.HTTPClient}
	})
	p := newProvider(client, opts)
	p.endpoint = resolvedEndpoint(ctx, client, opts.Region)
	if err := p.probe(ctx, opts.ProbeTimeout, opts.MaxAttempts); err != nil {
		return nil, err
	}
	return p, nil
}

// newProvider wires a provider around any client that fits the seam.
func newProvider(api ec2API, opts Options) *Provider {
	return &Provider{
		api:         api,
		clock:       opts.Clock,
		log:         opts.Logger,
		region:      opts.Region,
		consistency: opts.Consistency,
		poll:        opts.StopWait,
		limits:      opts.Limits.orDefault(DefaultLimits()),
	}
}

func validateRegion(region string) error {
	if region == "" {
		return errors.New("aws: empty region (set region in infrastructure.yaml, e.g. us-east-1)")
	}
	if !regionPattern.MatchString(region) {
		return fmt.Errorf("aws: unknown region %q (want a region name such as us-east-1 or eu-central-1)", region)
	}
	return nil
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("aws: invalid endpoint %q (want http(s)://host[:port])", endpoint)
	}
	return nil
}

// loadConfig runs the SDK's standard chain with Ovi's region, HTTP client
// and standard retryer (exponential backoff with jitter; throttling codes
// such as RequestLimitExceeded are retryable in retry.DefaultThrottleErrorCodes).
func loadConfig(ctx context.Context, opts Options) (awssdk.Config, error) {
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = awshttp.NewBuildableClient().
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = defaultDialTimeout }).
			WithTimeout(defaultAttemptTimeout)
	}
	// The SDK's own logger writes to stderr; Ovi reports through slog.
	loaders := []func(*config.LoadOptions) error{config.WithRegion(opts.Region), config.WithLogger(logging.Nop{})}
	if opts.Credentials != nil {
		loaders = append(loaders, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(loaders,
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() awssdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = opts.MaxBackoff
			})
		}))...,
	)
	if err != nil {
		return awssdk.Config{}, fmt.Errorf("aws: load configuration: %s", oneLine(err.Error()))
	}
	return cfg, nil
}

// checkCredentials retrieves credentials once, with a short timeout, so a
// missing or broken credential setup fails at start with a line saying
// which sources were tried, not at the first reconcile.
func checkCredentials(ctx context.Context, cfg awssdk.Config, opts Options) error {
	if cfg.Credentials == nil {
		return fmt.Errorf("aws: no credentials provider (tried %s)", triedSources())
	}
	ctx, cancel := context.WithTimeout(ctx, opts.CredentialsTimeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err == nil && !creds.HasKeys() {
		err = errors.New("credentials have no access key")
	}
	if err != nil {
		return fmt.Errorf("aws: no usable credentials (tried %s): %s", triedSources(), oneLine(err.Error()))
	}
	return nil
}

// triedSources names the SDK's default credential sources as configured.
func triedSources() string {
	env, _ := config.NewEnvConfig()
	profile := env.SharedConfigProfile
	if profile == "" {
		profile = "default"
	}
	cfgFile := firstNonEmpty(env.SharedConfigFile, config.DefaultSharedConfigFilename())
	credFile := firstNonEmpty(env.SharedCredentialsFile, config.DefaultSharedCredentialsFilename())
	imdsState := "IMDS"
	if env.EC2IMDSClientEnableState == imds.ClientDisabled {
		imdsState = "IMDS (disabled by AWS_EC2_METADATA_DISABLED)"
	}
	return fmt.Sprintf("environment AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; shared config/credentials files %s, %s (profile %q); %s",
		cfgFile, credFile, profile, imdsState)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// probe makes one small DescribeInstances call so an endpoint that refuses
// connections, or rejects the credentials, fails New within the timeout
// (the retryer's attempts are bounded) instead of the first reconcile.
func (p *Provider) probe(ctx context.Context, timeout time.Duration, attempts int) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := p.api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: awssdk.Int32(5)})
	if err == nil {
		return nil
	}
	var uerr *url.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &uerr):
		return fmt.Errorf("aws: EC2 endpoint %s refuses connections (gave up after %d attempts)", endpointOf(uerr), attempts)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("aws: EC2 endpoint in %s did not answer within %s: %s", p.region, timeout, oneLine(err.Error()))
	case errorCode(err) != "":
		return fmt.Errorf("aws: EC2 rejected the first call in %s: %w", p.region, providerError(err))
	}
	return fmt.Errorf("aws: EC2 endpoint in %s unreachable: %s", p.region, oneLine(err.Error()))
}

// endpointOf returns scheme://host of a failed request.
func endpointOf(uerr *url.Error) string {
	u, err := url.Parse(uerr.URL)
	if err != nil {
		return strings.TrimSpace(uerr.URL)
	}
	return u.Scheme + "://" + u.Host
}
