// Package cluster runs an Ovi agent: a node of the Raft group that
// replicates the WAL, gossips membership with memberlist, forwards writes
// to the leader, answers reads at a chosen consistency level, and serves
// the HTTP API. See docs/architecture/overview.md.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
)

// Agent errors.
var (
	ErrShutdown      = errors.New("cluster: agent is shut down")
	ErrNoLeader      = errors.New("cluster: no leader known")
	ErrDuplicateName = errors.New("cluster: node name already in use")
	ErrStarted       = errors.New("cluster: agent already started")
)

// Agent is one Ovi node. Build it with Open and run it with Start (or both
// at once with New); stop it with Shutdown or Leave.
type Agent struct {
	cfg    Config
	logger *slog.Logger

	store     *mvcc.Store
	fsm       *fsm.FSM
	raft      *raft.Raft
	logStore  LogStore
	snapshots *raft.FileSnapshotStore
	trans     *raft.NetworkTransport
	notifyCh  chan bool

	tls      *transport.MutualTLS // nil: plaintext (loopback or insecure_plaintext)
	members  *membership
	httpLn   net.Listener
	httpSrv  *http.Server
	metrics  *metrics
	prom     *promMetrics
	disk     diskErrors // the last failed disk write (readiness)
	peers    *peerAuth  // who is a server of the cluster (Raft port, node-to-node endpoints)
	conns    listenerCounters
	clients  *clientPool
	forwards *forwarder // this node's proposals on their way to the leader
	merges   *merger    // this node's proposals, as leader, on their way into Raft

	raftAddr string
	httpAddr string

	readyTerm   atomic.Uint64 // term in which this node, as leader, passed its Barrier
	leaders     leaderWatch   // wakes the write and read retry loops when a leader is reported
	readBatch   readBatcher   // shares read-index rounds among concurrent consistent reads
	leaderBatch readBatcher   // the same, for followers' read-index requests to this leader
	reload      reloadable
	pins        readPins   // reads in flight at a past revision (readpins.go)
	rec         Reconciler // set by Start before anything serves; nil: none
	notifier    *notify.Notifier

	lifeMu sync.Mutex // orders Start and Shutdown

	stopCh   chan struct{} // closed when shutdown starts
	doneCh   chan struct{} // closed when shutdown completes
	stopOnce sync.Once
	wg       sync.WaitGroup
	fatalMu  sync.Mutex
	fatalErr error
	leaving  atomic.Bool
	hadState bool // Raft state existed at start: never bootstrap
	// storeRebuilt: the store was found torn at start and is rebuilt from
	// the latest snapshot and the log (storeopen.go).
	storeRebuilt bool
}

// New builds and starts an agent that hosts no reconciler: Open, then
// Start(nil). cmd/ovi, which wires a reconciler in, uses the two phases.
func New(cfg Config) (*Agent, error) {
	a, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	if err := a.Start(nil); err != nil {
		_ = a.Shutdown(context.Background())
		return nil, err
	}
	return a, nil
}

// Open is the agent's first phase: it validates cfg and opens the store,
// Raft, memberlist and the HTTP listener, so what is built on the agent
// (the reconciler, its reads of the FSM) can be built before it runs.
// Raft already answers its peers; nothing else runs until Start: no HTTP
// API, no bootstrap or join, no leader work. An agent that is never
// started is closed with Shutdown.
func Open(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, logger: cfg.Logger, stopCh: make(chan struct{}), doneCh: make(chan struct{})}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	a.reload.set(cfg)
	a.metrics = newMetrics()
	a.prom = newPromMetrics(cfg.Registry, a)
	a.peers = newPeerAuth(a.logger, a.prom.reg)
	a.forwards = newForwarder(a.prom.reg)
	a.merges = newMerger(agentRaft{a}, a.prom.reg)
	a.notifier = a.newNotifier()
	if err := a.open(); err != nil {
		_ = a.closeResources()
		return nil, err
	}
	return a, nil
}

// Start is the agent's second phase: it serves the HTTP API, bootstraps
// the group once bootstrap_expect servers are known (only if this node
// has no Raft state), joins retry_join in the background until that
// succeeds, and hands rec (nil: none) every term in which this node leads
// and every POST /v1/reconcile. It runs once; after Shutdown it fails.
func (a *Agent) Start(rec Reconciler) error {
	a.lifeMu.Lock()
	defer a.lifeMu.Unlock()
	select {
	case <-a.stopCh:
		return ErrShutdown
	default:
	}
	if a.httpSrv != nil {
		return ErrStarted
	}
	a.rec = rec
	a.start()
	a.logger.Info("agent started", "node", a.cfg.NodeName, "http", a.httpAddr, "raft", a.raftAddr,
		"gossip", a.members.gossipAddr, "bootstrap_expect", a.cfg.BootstrapExpect, "ui", a.uiURL())
	return nil
}

// open creates the data directory and opens every resource in order.
func (a *Agent) open() error {
	if err := a.privateDirs(); err != nil {
		return err
	}
	if err := a.loadTLS(); err != nil {
		return err
	}
	if err := a.openStore(); err != nil {
		return err
	}
	ln, err := listen(hostPort(a.cfg.BindAddr, a.cfg.Ports.HTTP))
	if err != nil {
		return fmt.Errorf("cluster: listen http on ports.http %d: %w", a.cfg.Ports.HTTP, err)
	}
	a.httpAddr = hostPort(a.cfg.advertiseIP(), ln.Addr().(*net.TCPAddr).Port)
	limited := transport.LimitListener(ln, httpConnLimits())
	a.conns.http = limited.Counter()
	a.httpLn = a.tlsListener(limited)
	a.clients = newClientPool(a.cfg.ACL.WriteToken, a.clientTLS())
	if err := a.setupRaft(); err != nil {
		return err
	}
	members, err := newMembership(a)
	if err != nil {
		return err
	}
	a.members = members
	a.peers.members.Store(members)
	return nil
}

// start launches the agent's goroutines.
func (a *Agent) start() {
	a.httpSrv = &http.Server{Handler: a.handler(), ReadHeaderTimeout: httpFirstByte, IdleTimeout: httpIdle,
		ErrorLog: newStdLogger("http", a.logger)}
	a.goRun(func() {
		if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.fail(fmt.Errorf("cluster: http server: %w", err))
		}
	})
	a.goRun(a.monitorLeadership)
	a.goRun(a.bootstrapLoop)
	a.goRun(a.retryJoin)
	a.goRun(a.watchFSM)
	a.goRun(a.observeLeaders)
}

// goRun runs fn in a goroutine tracked by Shutdown.
func (a *Agent) goRun(fn func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
}

// watchFSM stops the agent when the store fails (see fsm.FSM.Failed).
func (a *Agent) watchFSM() {
	select {
	case <-a.fsm.Failed():
		a.fail(fmt.Errorf("cluster: %w", a.fsm.Err()))
	case <-a.stopCh:
	}
}

// fail records a fatal error and starts shutdown; Err returns it.
func (a *Agent) fail(err error) {
	a.fatalMu.Lock()
	if a.fatalErr == nil {
		a.fatalErr = err
	}
	a.fatalMu.Unlock()
	a.logger.Error("agent stopping on a fatal error", "err", err)
	go func() { _ = a.Shutdown(context.Background()) }()
}

// Err is the fatal error that stopped the agent, or nil.
func (a *Agent) Err() error {
	a.fatalMu.Lock()
	defer a.fatalMu.Unlock()
	return a.fatalErr
}

// Done is closed when the agent has shut down (after Shutdown, Leave,
// POST /v1/leave, or a fatal error).
func (a *Agent) Done() <-chan struct{} { return a.doneCh }

// NodeName is this agent's name (its Raft server ID).
func (a *Agent) NodeName() string { return a.cfg.NodeName }

// HTTPAddr is the advertised HTTP API address.
func (a *Agent) HTTPAddr() string { return a.httpAddr }

// RaftAddr is the advertised Raft address.
func (a *Agent) RaftAddr() string { return a.raftAddr }

// GossipAddr is the advertised gossip address.
func (a *Agent) GossipAddr() string { return a.members.gossipAddr }

// Store is the local MVCC store (read-only use: writes go through Propose).
func (a *Agent) Store() *mvcc.Store { return a.store }

// FSM is the local FSM (for its typed read helpers).
func (a *Agent) FSM() *fsm.FSM { return a.fsm }

// IsLeader reports whether this node is the Raft leader now.
func (a *Agent) IsLeader() bool { return a.raft.State() == raft.Leader }
