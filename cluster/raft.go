package cluster

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

// Raft tuning. The timeouts are raft_timeouts.go's (heartbeat, election
// and leader lease 400 ms unless the raft block says otherwise): a killed
// leader is replaced in about 0.6–1.2 s. MaxAppendEntries lets the leader
// put up to 256 proposals into one log append (one fsync) and the
// BatchingFSM apply them in one bbolt transaction; that is Ovi's group
// commit.
const (
	raftMaxPool          = 3
	raftTransportTimeout = 10 * time.Second
	raftMaxAppend        = 256
	raftSnapshotsRetain  = 2
	raftLogCacheSize     = 1024
)

// setupRaft opens the log store of raft.log_store (raft-wal in
// data_dir/raft/wal, or raft-boltdb in data_dir/raft/raft.db) as log and
// stable store, the file snapshot store (data_dir/raft, retaining 2, private file
// modes), the TCP stream layer on ports.raft (mutual TLS when configured),
// applies a lost-quorum peers.json if there is one, and starts Raft over
// the FSM, with its appends watched and its campaigns gated while they
// fail (campaign.go).
func (a *Agent) setupRaft() error {
	dir := filepath.Join(a.cfg.DataDir, "raft")
	hlog := newHCLogger("raft", a.logger)
	var err error
	if a.snapshots, err = raft.NewFileSnapshotStoreWithLogger(dir, raftSnapshotsRetain, hlog); err != nil {
		return fmt.Errorf("cluster: open snapshot store: %w", err)
	}
	logStore, err := a.openLogStore(dir)
	if err != nil {
		return err
	}
	a.logStore = logStore
	if err := a.setupTransport(); err != nil {
		return err
	}
	hasState, err := raft.HasExistingState(logStore, logStore, a.snapshots)
	if err != nil {
		return fmt.Errorf("cluster: read raft state: %w", err)
	}
	if err := a.recoverPeers(); err != nil {
		return err
	}
	conf, err := a.raftConfig()
	if err != nil {
		return err
	}
	health := newAppendHealth(campaignHold(conf.HeartbeatTimeout), a.logger)
	cache, err := NewLogCache(healthLogStore{LogStore: logStore, health: health})
	if err != nil {
		return fmt.Errorf("cluster: log cache: %w", err)
	}
	trans := campaignGate{NetworkTransport: a.trans, health: health}
	if a.raft, err = raft.NewRaft(conf, a.fsm, cache, logStore, a.privateSnapshots(), trans); err != nil {
		return fmt.Errorf("cluster: start raft: %w", err)
	}
	a.peers.raft.Store(a.raft)
	a.hadState = hasState
	a.logger.Info("raft timing", "heartbeat_timeout", conf.HeartbeatTimeout, "election_timeout", conf.ElectionTimeout,
		"leader_lease_timeout", conf.LeaderLeaseTimeout)
	return nil
}

// setupTransport listens on ports.raft and builds the network transport.
// With mutual TLS, the stream layer accepts node certificates only and
// checks every RPC against a.peers (see transport.rpcGate).
func (a *Agent) setupTransport() error {
	ln, err := listen(hostPort(a.cfg.BindAddr, a.cfg.Ports.Raft))
	if err != nil {
		return fmt.Errorf("cluster: listen raft on ports.raft %d: %w", a.cfg.Ports.Raft, err)
	}
	adv := &net.TCPAddr{IP: net.ParseIP(a.cfg.advertiseIP()), Port: ln.Addr().(*net.TCPAddr).Port}
	limited := transport.LimitListener(ln, raftConnLimits())
	a.conns.raft = limited.Counter()
	stream, err := transport.NewTCPStreamLayer(limited, adv,
		transport.WithMutualTLS(a.tls), transport.WithRaftGuard(a.peers))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("cluster: %w", err)
	}
	a.raftAddr = adv.String()
	a.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: raftMaxPool,
		Timeout: raftTransportTimeout,
		Logger:  newHCLogger("raft-net", a.logger),
	})
	return nil
}

// EngineConfig is the Raft engine's tuning every agent runs with (its
// default timeouts and group commit), before node names, snapshot
// settings and the raft block's timeouts; the peer benchmarks run raw
// Raft with it too, so that the raw engine they measure is Ovi's.
func EngineConfig() *raft.Config {
	conf := raft.DefaultConfig()
	DefaultRaftTimeouts().apply(conf)
	conf.MaxAppendEntries = raftMaxAppend
	return conf
}

// NewLogCache is the in-memory cache of the last entries every agent puts
// in front of its log store.
func NewLogCache(store raft.LogStore) (*raft.LogCache, error) {
	return raft.NewLogCache(raftLogCacheSize, store)
}

// raftConfig builds the Raft configuration. The persistent FSM usually
// holds everything up to its applied index, which is at or past the
// latest snapshot; then restoring that snapshot at start would only throw
// data away and re-apply it, so it is skipped (NoSnapshotRestoreOnStart;
// see startRestore).
func (a *Agent) raftConfig() (*raft.Config, error) {
	conf := EngineConfig()
	a.cfg.Raft.Timeouts().apply(conf)
	conf.LocalID = raft.ServerID(a.cfg.NodeName)
	conf.Logger = newHCLogger("raft", a.logger)
	conf.SnapshotThreshold = a.cfg.SnapshotThreshold
	conf.SnapshotInterval = a.cfg.SnapshotInterval
	conf.TrailingLogs = a.cfg.TrailingLogs
	a.notifyCh = make(chan bool, 16)
	conf.NotifyCh = a.notifyCh
	snaps, err := a.snapshots.List()
	if err != nil {
		return nil, fmt.Errorf("cluster: list snapshots: %w", err)
	}
	restore, err := a.startRestore(snaps, a.logStore)
	if err != nil {
		return nil, err
	}
	conf.NoSnapshotRestoreOnStart = !restore
	if err := raft.ValidateConfig(conf); err != nil {
		return nil, fmt.Errorf("cluster: raft config: %w", err)
	}
	return conf, nil
}
