// Package engine wires Ovi's reconciler into an agent: the reconcile
// engine (package reconcile) proposing through the agent's Raft log and
// reading its FSM, a cloud provider built for the configuration in force,
// the infrastructure file kept in force while the agent leads, and the
// test-only failpoints of the fault suite.
//
// An agent is built in two phases, and the engine between them:
//
//	agent, err := cluster.Open(cfg)                      // store, Raft, gossip; nothing served yet
//	eng, err := engine.New(agent, engine.Options{...})    // reads and proposes through agent
//	err = agent.Start(eng)                                // serve; eng leads each term
//
// Engine implements cluster.Reconciler: Lead runs the continuous loop for
// one term of leadership, Reconcile serves POST /v1/reconcile.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Metrics receives what the reconciler and the cloud provider report;
// cmd/ovi turns it into Prometheus metrics and log lines.
type Metrics interface {
	reconcile.Metrics
	aws.APIMetrics
	// TermEnded is called when a term of leadership ends: gauges that
	// describe the last plan must stop reporting a fleet no longer watched.
	TermEnded()
}

// Options configure an Engine. Providers is required.
type Options struct {
	// Providers builds the cloud provider for the configuration in force
	// (AWSProviders, or dev mode's simulator).
	Providers ProviderFactory
	// Logger receives the engine's logs; nil discards them.
	Logger *slog.Logger
	// Metrics receives cycles, actions and EC2 calls; nil: none.
	Metrics Metrics
	// Version is the binary's version, recorded with each cycle's inputs.
	Version string
	// Continuous runs the reconcile loop while the agent leads. Off, the
	// engine acts only when asked (POST /v1/reconcile): standalone runs.
	Continuous bool
	// Getenv reads the failpoint variables (OVI_FAILPOINT,
	// OVI_FAILPOINT_FILE; test-only); nil: os.Getenv.
	Getenv func(string) string
}

// ErrNoProviders is returned by New without Options.Providers.
var ErrNoProviders = errors.New("engine: no provider factory")

// Engine is an agent's reconciler. Build it with New between the agent's
// Open and Start, and hand it to Start.
type Engine struct {
	agent      *cluster.Agent
	eng        *reconcile.Engine
	logger     *slog.Logger
	metrics    Metrics
	continuous bool
	trigger    chan struct{} // a cycle now, coalesced
}

// Compile-time check: the agent hosts the engine.
var _ cluster.Reconciler = (*Engine)(nil)

// New builds the reconciler of an opened agent: proposals go through the
// agent's Raft log, reads come from its FSM, cloud calls go to a provider
// built for the configuration in force.
func New(agent *cluster.Agent, opts Options) (*Engine, error) {
	if opts.Providers == nil {
		return nil, ErrNoProviders
	}
	e := &Engine{agent: agent, logger: opts.Logger, metrics: opts.Metrics, continuous: opts.Continuous,
		trigger: make(chan struct{}, 1)}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.metrics == nil {
		e.metrics = noMetrics{}
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	failpoint, err := failpointFromEnv(getenv, e.logger) // test-only; nil unless OVI_FAILPOINT* is set
	if err != nil {
		return nil, err
	}
	state := agentState{agent: agent}
	e.eng, err = reconcile.New(reconcile.Options{
		Provider:  newLazyProvider(opts.Providers, state, e.logger, e.metrics),
		Log:       agent,
		State:     state,
		Logger:    e.logger,
		Node:      agent.NodeName(),
		Failpoint: failpoint,
		Metrics:   e.metrics,
		Version:   opts.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("build the reconciler: %w", err)
	}
	return e, nil
}

// Reconcile implements cluster.Reconciler: it serves POST /v1/reconcile on
// the leader, one cycle, every record it commits streamed through emit. A
// request carrying a configuration runs against it (a dry run of a new
// file) instead of the one in force.
func (e *Engine) Reconcile(ctx context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
	if req.Adopt != nil {
		return e.adopt(ctx, req, emit)
	}
	var cfg *wal.ConfigApplied
	if req.Config != nil {
		cfg = &wal.ConfigApplied{Source: req.Source, Digest: req.Digest, Config: *req.Config}
	}
	_, err := e.eng.Run(withDesired(ctx, cfg), reconcile.Request{DryRun: req.DryRun, Config: cfg, Progress: emit})
	return err
}

// kick asks the loop for a cycle now (coalesced).
func (e *Engine) kick() {
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}
