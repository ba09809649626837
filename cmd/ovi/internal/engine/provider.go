package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// ProviderFactory builds a cloud provider for a configuration's region and
// endpoint, reporting its EC2 calls to m.
type ProviderFactory func(ctx context.Context, cfg wal.Config, m aws.APIMetrics) (reconcile.Provider, error)

// AWSProviders builds EC2 providers from the standard AWS chain. A
// non-empty endpoint overrides the file's endpoint (dev mode's simulator,
// tests).
func AWSProviders(endpoint string, logger *slog.Logger) ProviderFactory {
	return func(ctx context.Context, cfg wal.Config, m aws.APIMetrics) (reconcile.Provider, error) {
		ep := cfg.Endpoint
		if endpoint != "" {
			ep = endpoint
		}
		p, err := aws.New(ctx, aws.Options{Region: cfg.Region, Endpoint: ep, Logger: logger, Metrics: m})
		if err != nil {
			return nil, fmt.Errorf("aws provider for %s: %w", cfg.Region, err)
		}
		return p, nil
	}
}

// providerKey identifies the provider a configuration needs.
type providerKey struct{ provider, region, endpoint string }

// lazyProvider builds the real provider on first use for the configuration
// in force, and again when its region or endpoint changes: the agent may
// start before any configuration exists.
type lazyProvider struct {
	factory ProviderFactory
	state   reconcile.State
	logger  *slog.Logger
	metrics aws.APIMetrics

	mu      sync.Mutex
	key     providerKey
	current reconcile.Provider
}

func newLazyProvider(f ProviderFactory, st reconcile.State, logger *slog.Logger, m aws.APIMetrics) *lazyProvider {
	return &lazyProvider{factory: f, state: st, logger: logger, metrics: m}
}

// desiredKey carries a request's configuration through the engine to the
// provider, for a run whose configuration is not (yet) the one in force,
// such as a dry run of a new file.
type desiredKey struct{}

// withDesired makes cfg the configuration providers are built for in ctx.
func withDesired(ctx context.Context, cfg *wal.ConfigApplied) context.Context {
	if cfg == nil {
		return ctx
	}
	return context.WithValue(ctx, desiredKey{}, cfg)
}

// desired returns the configuration a provider must serve: the request's,
// else the one in force.
func (l *lazyProvider) desired(ctx context.Context) (*wal.ConfigApplied, error) {
	if cfg, ok := ctx.Value(desiredKey{}).(*wal.ConfigApplied); ok {
		return cfg, nil
	}
	cfg, err := l.state.Config(ctx)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, reconcile.ErrNoConfig
	}
	return cfg, nil
}

// get returns the provider for the configuration in force.
func (l *lazyProvider) get(ctx context.Context) (reconcile.Provider, error) {
	cfg, err := l.desired(ctx)
	if err != nil {
		return nil, err
	}
	key := providerKey{cfg.Config.Provider, cfg.Config.Region, cfg.Config.Endpoint}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current != nil && l.key == key {
		return l.current, nil
	}
	// Building the provider makes its reachability probe (one
	// DescribeInstances). That is the provider's setup, which only happens
	// to run inside the first cycle, not a call of the cycle's reconcile:
	// it stays out of the cycle's tally (its API budget compares the calls
	// planned with those made), and is still counted by the API metrics.
	p, err := l.factory(reconcile.WithTally(ctx, nil), cfg.Config, l.metrics)
	if err != nil {
		return nil, err
	}
	endpoint := key.endpoint
	if ep, ok := p.(interface{ Endpoint() string }); ok {
		endpoint = ep.Endpoint() // the one in use: dev mode's simulator, AWS_ENDPOINT_URL_EC2, the region's default
	}
	l.logger.Info("cloud provider ready", "provider", key.provider, "region", key.region, "endpoint", endpoint)
	l.key, l.current = key, p
	return p, nil
}

// Kind implements reconcile.Provider: the observer and executor of a
// kind, from the provider for the configuration in force.
func (l *lazyProvider) Kind(ctx context.Context, k wal.ResourceKind) (reconcile.KindProvider, error) {
	p, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return p.Kind(ctx, k)
}
