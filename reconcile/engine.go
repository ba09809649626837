package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Log is the replicated WAL as the engine sees it; the cluster implements
// it. Propose commits records as one batch (one Raft entry), in order, and
// returns the entry's index once it is applied. It fails when this node is
// not (or no longer) the leader. The cluster stamps Node and Term.
type Log interface {
	Propose(ctx context.Context, records []wal.Record) (uint64, error)
}

// State is the engine's read view of the replicated store (the fsm key
// scheme). The cluster implements it over the local FSM after a Barrier.
type State interface {
	// Resources returns the last observed record of every resource
	// (resources/<id>), i.e. what the WAL says the cloud looked like.
	Resources(ctx context.Context) ([]wal.Resource, error)
	// Config returns the configuration in force (config), or nil.
	Config(ctx context.Context) (*wal.ConfigApplied, error)
	// OpenIntents returns every real actionable decision without an
	// outcome (decisions/<id>), each with its intent (intents/<id>) if one
	// was committed.
	OpenIntents(ctx context.Context) ([]Intent, error)
}

// Intent is an unresolved decision: decided, maybe executing, no outcome.
type Intent struct {
	Decided   wal.Record  // KindDecided
	Executing *wal.Record // KindExecuting, nil if the call was never started
}

// Request asks for one cycle.
type Request struct {
	// DryRun decides and records the plan (flagged dry_run) without
	// executing anything or storing the configuration.
	DryRun bool
	// Config, if set, is the configuration to reconcile against; unless
	// this is a dry run it is recorded first when its digest differs from
	// the stored one. If nil, the stored configuration is used.
	Config *wal.ConfigApplied
	// Progress, if set, is called with every record once it is committed.
	Progress func(wal.Record)
}

// Defaults of Options.
const (
	DefaultBatchSize      = 256              // records per proposal
	DefaultMinBackoff     = time.Second      // first retry delay after a failed cycle
	DefaultOutcomeTimeout = 10 * time.Second // to record an outcome after ctx is done
	MaxBatchIDs           = 1000             // decisions per executor call (Delete, UpdateTags)
)

// Failpoints: the named points of execution at which Options.Failpoint is
// called, in the order one action passes them.
const (
	FailpointBeforeIntent = "before-intent" // decided committed, executing not yet proposed
	FailpointAfterIntent  = "after-intent"  // executing committed, provider not yet called
	FailpointAfterCall    = "after-call"    // provider returned, outcome not yet proposed
	FailpointAfterOutcome = "after-outcome" // executed/failed committed
)

// Errors of the engine.
var (
	ErrNoConfig       = errors.New("reconcile: no configuration in force")
	ErrInvalidOptions = errors.New("reconcile: invalid engine options")
)

// Options configures an Engine. Provider, Log and State are required.
type Options struct {
	Provider       Provider
	Kinds          *Kinds // the kinds reconciled; default DefaultKinds()
	Log            Log
	State          State
	Logger         *slog.Logger                         // default: discard
	Node           string                               // prefix of cycle ids; default "ovi"
	Confirmations  int                                  // see Decider; 0 = DefaultConfirmations
	BatchSize      int                                  // records per proposal; 0 = DefaultBatchSize
	Now            func() time.Time                     // default time.Now
	Rand           *rand.Rand                           // jitter and cycle ids; default randomly seeded
	After          func(time.Duration) <-chan time.Time // default time.After
	MinBackoff     time.Duration                        // 0 = DefaultMinBackoff
	OutcomeTimeout time.Duration                        // 0 = DefaultOutcomeTimeout
	// LaunchVisibility is the least time a launch not yet visible to
	// Observe is still credited to its group (EC2 is eventually
	// consistent); 0 = DefaultLaunchVisibility.
	LaunchVisibility time.Duration
	// Failpoint, if set, is called at the named points of execution
	// (FailpointBeforeIntent … FailpointAfterOutcome). Test-only: the fault
	// suite uses it to kill the process at a chosen point. nil costs nothing.
	Failpoint func(name string)
	// Metrics, if set, receives every finished cycle and action outcome.
	Metrics Metrics
	// Version is the Ovi version, recorded with every cycle's Decide
	// inputs so a replay can say which version decided.
	Version string
}

// Engine runs reconcile cycles on the leader. Cycles never overlap: Run,
// Recover and Loop all take the same turn.
type Engine struct {
	opts   Options
	kinds  *Kinds
	turn   chan struct{} // a one-slot semaphore: holding it = running a cycle
	randMu sync.Mutex

	// Owned by whoever holds turn.
	memory     Memory
	quiet      map[string]string    // Refuse/Hold/Report decisions recorded by the last real cycle
	digest     string               // configuration the memory belongs to
	lastCycle  string               // the last real cycle this engine decided (see recallUnwanted)
	launchedAt map[string]time.Time // when each instance in memory.Launched was launched
}

// New checks opts and fills in defaults.
func New(opts Options) (*Engine, error) {
	if opts.Provider == nil || opts.Log == nil || opts.State == nil {
		return nil, fmt.Errorf("%w: Provider, Log and State are required", ErrInvalidOptions)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Node = sanitizeNode(opts.Node)
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) // randomly seeded per process
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.OutcomeTimeout <= 0 {
		opts.OutcomeTimeout = DefaultOutcomeTimeout
	}
	if opts.LaunchVisibility <= 0 {
		opts.LaunchVisibility = DefaultLaunchVisibility
	}
	if opts.Kinds == nil {
		opts.Kinds = DefaultKinds()
	}
	return &Engine{opts: opts, kinds: opts.Kinds, turn: make(chan struct{}, 1), launchedAt: map[string]time.Time{}}, nil
}

// failpoint calls Options.Failpoint, if set.
func (e *Engine) failpoint(name string) {
	if e.opts.Failpoint != nil {
		e.opts.Failpoint(name)
	}
}

// sanitizeNode keeps the characters that are safe in tag values and keys.
func sanitizeNode(node string) string {
	var b strings.Builder
	for _, r := range node {
		if b.Len() >= 32 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "ovi"
	}
	return b.String()
}

// acquire waits for the turn to run a cycle.
func (e *Engine) acquire(ctx context.Context) error {
	select {
	case e.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("reconcile: waiting for the running cycle: %w", ctx.Err())
	}
}

func (e *Engine) release() { <-e.turn }

// random returns a uint64 from the injected source.
func (e *Engine) random() uint64 {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	return e.opts.Rand.Uint64()
}

// newCycleID is "<node>-<UTC second>-<8 random hex digits>": readable in
// the WAL, unique across leaders and restarts.
func (e *Engine) newCycleID(now time.Time) string {
	return fmt.Sprintf("%s-%s-%08x", e.opts.Node, now.UTC().Format("20060102T150405Z"), uint32(e.random()))
}

// Run does one cycle: record the configuration if it is new, observe,
// record what changed, decide, record every decision, execute the
// actionable ones (not on a dry run), record a summary. A real cycle first
// resolves intents left open by an interrupted one. It stops before the
// next provider call as soon as ctx is done or a proposal fails (leadership
// lost); the returned Report says how far it got.
func (e *Engine) Run(ctx context.Context, req Request) (Report, error) {
	if err := e.acquire(ctx); err != nil {
		return Report{}, err
	}
	defer e.release()
	var recovered Report
	if !req.DryRun {
		var err error
		if recovered, err = e.recoverOpen(ctx, req.Progress); err != nil {
			e.reportCycle(recovered, err)
			return recovered, err
		}
		e.recallLaunches(ctx)
	}
	e.recallUnwanted(ctx)
	c := e.newCycle(req)
	err := c.run(ctx)
	c.report.Decisions = append(recovered.Decisions, c.report.Decisions...)
	c.report.Records += recovered.Records
	c.report.Duration = e.opts.Now().Sub(c.start)
	e.reportCycle(c.report, err)
	return c.report, err
}

// cycle is one Run (or one Recover) in progress.
type cycle struct {
	e        *Engine
	id       string
	req      Request
	start    time.Time
	desired  wal.ConfigApplied
	report   Report
	progress func(wal.Record)
	metrics  cycleMetrics      // what Options.Metrics needs beyond the report
	inputs   *wal.DecideInputs // what Decide read beyond the store, for the summary
	budget   *budget           // the calls the apply makes, predicted (budget.go)
	tally    *CallTally        // the calls a real cycle made, counted by the provider
}

func (e *Engine) newCycle(req Request) *cycle {
	now := e.opts.Now()
	id := e.newCycleID(now)
	return &cycle{e: e, id: id, req: req, start: now, progress: req.Progress,
		report: Report{CycleID: id, DryRun: req.DryRun}}
}

// run is the body of Run.
func (c *cycle) run(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reconcile: cycle not started: %w", err)
	}
	if err := c.configure(ctx); err != nil {
		return err
	}
	if !c.req.DryRun {
		c.tally = NewCallTally()
		ctx = WithTally(ctx, c.tally)
	}
	observed, err := c.observe(ctx)
	if err != nil {
		return err
	}
	plan := c.decide(ctx, observed)
	if err := c.recordDecisions(ctx, plan); err != nil {
		return err
	}
	c.predictExecute(ctx)
	if !c.req.DryRun {
		if err := c.execute(ctx); err != nil {
			return err
		}
	}
	return c.summarize(ctx)
}

// configure picks the desired configuration and records it when it is new.
func (c *cycle) configure(ctx context.Context) error {
	stored, err := c.e.opts.State.Config(ctx)
	if err != nil {
		return fmt.Errorf("reconcile: read the stored configuration: %w", err)
	}
	switch {
	case c.req.Config != nil:
		if err := ValidateConfig(&c.req.Config.Config); err != nil {
			return fmt.Errorf("reconcile: refused the configuration from %s: %w", c.req.Config.Source, err)
		}
		c.desired = *c.req.Config
		c.keepGroupNames(stored)
	case stored != nil:
		c.desired = *stored
	default:
		return ErrNoConfig
	}
	c.report.ConfigSource, c.report.ConfigDigest = c.desired.Source, c.desired.Digest
	if c.req.DryRun {
		return nil
	}
	if stored == nil || stored.Digest != c.desired.Digest {
		cfg := c.desired
		if err := c.propose(ctx, c.record(wal.KindConfigApplied, "", "", func(r *wal.Record) { r.Config = &cfg })); err != nil {
			return err
		}
		c.report.ConfigStored = true
	}
	if c.e.digest != c.desired.Digest {
		// A new configuration: terminal failures may be fixed, retry them.
		c.e.memory.Failed = nil
		c.e.digest = c.desired.Digest
	}
	return nil
}

// keepGroupNames lets the unnamed groups of a new configuration keep the
// names of the groups they continue (KeepGroupNames), so a tag or size
// edit updates the group instead of launching another.
func (c *cycle) keepGroupNames(stored *wal.ConfigApplied) {
	if stored == nil || stored.Digest == c.desired.Digest {
		return
	}
	c.desired.Config.Groups = slices.Clone(c.desired.Config.Groups)
	for old, kept := range KeepGroupNames(&stored.Config, &c.desired.Config) {
		c.e.opts.Logger.Info("reconcile: unnamed group keeps its identity", "default_name", old, "group", kept)
	}
}

// observe asks the observer of every kind for its resources and records
// what changed since the last observation in the WAL (also on a dry run:
// observations are real).
func (c *cycle) observe(ctx context.Context) ([]wal.Resource, error) {
	observed, perKind, err := c.e.observeAll(ctx)
	if err != nil {
		return nil, err
	}
	c.predictObserve(ctx, perKind)
	return observed, c.recordObserved(ctx, observed)
}

// observeAll observes every registered kind, in dependency order, and
// keeps what each kind's observer returned.
func (e *Engine) observeAll(ctx context.Context) ([]wal.Resource, map[wal.ResourceKind][]wal.Resource, error) {
	var all []wal.Resource
	perKind := map[wal.ResourceKind][]wal.Resource{}
	for _, k := range e.kinds.Order() {
		rs, err := e.observeKind(ctx, k)
		if err != nil {
			return nil, nil, err
		}
		perKind[k] = rs
		all = append(all, rs...)
	}
	return all, perKind, nil
}

// observeKind observes one kind.
func (e *Engine) observeKind(ctx context.Context, k wal.ResourceKind) ([]wal.Resource, error) {
	kp, err := e.opts.Provider.Kind(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("reconcile: observe %s: %w", k, err)
	}
	rs, err := kp.Observe(ctx)
	if err != nil {
		return nil, fmt.Errorf("reconcile: observe %s: %w", k, err)
	}
	return rs, nil
}

func (oc *ObservedChanges) add(ch wal.ObservedChange) {
	switch ch {
	case wal.ChangeNew:
		oc.New++
	case wal.ChangeUpdated:
		oc.Updated++
	case wal.ChangeGone:
		oc.Gone++
	}
}
