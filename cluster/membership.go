package cluster

import (
	"fmt"
	"github.com/yairfalse/ovi/wal"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/yairfalse/ovi/transport"
)

// gossipLeaveTimeout bounds the broadcast of our "left" message.
const (
	gossipLeaveTimeout = 5 * time.Second
	gossipTCPTimeout   = 5 * time.Second // bounds a join to an address that does not answer
)

// member is the agent's view of one gossip peer.
type member struct {
	meta       nodeMeta
	gossipAddr string
	status     string // transport.MemberAlive, ...
}

// membership wraps memberlist: it gossips our nodeMeta, keeps a table of
// Ovi peers with their last status (memberlist forgets dead nodes; we keep
// them as "failed" or "left"), refuses duplicate node names at merge time,
// and signals changes on changed.
type membership struct {
	self       nodeMeta
	metaBytes  []byte
	gossipAddr string
	logger     *slog.Logger
	ml         *memberlist.Memberlist

	mu       sync.Mutex
	table    map[string]*member
	conflict error // set when our own name is taken by another agent

	changed   chan struct{} // coalesced "membership changed" signal (leader loop)
	bootstrap chan struct{} // the same, for the bootstrap loop
}

func newMembership(a *Agent) (*membership, error) {
	self := nodeMeta{Name: a.cfg.NodeName, RaftAddr: a.raftAddr, HTTPAddr: a.httpAddr, Version: a.cfg.Version,
		WAL: wal.FormatCurrent, Caps: ownCaps()}
	raw, err := self.encode()
	if err != nil {
		return nil, err
	}
	m := &membership{self: self, metaBytes: raw, logger: a.logger, table: map[string]*member{},
		changed: make(chan struct{}, 1), bootstrap: make(chan struct{}, 1)}
	conf, err := m.config(&a.cfg)
	if err != nil {
		return nil, err
	}
	if g, ok := conf.Transport.(*gossipTransport); ok {
		a.conns.gossip = g.counter
	}
	if m.ml, err = memberlist.Create(conf); err != nil {
		_ = conf.Transport.Shutdown()
		return nil, fmt.Errorf("cluster: start gossip on ports.gossip %d: %w", conf.BindPort, err)
	}
	m.gossipAddr = m.ml.LocalNode().Address()
	m.mu.Lock()
	m.table[self.Name] = &member{meta: self, gossipAddr: m.gossipAddr, status: transport.MemberAlive}
	m.mu.Unlock()
	return m, nil
}

// config builds the memberlist configuration (LAN defaults).
func (m *membership) config(cfg *Config) (*memberlist.Config, error) {
	conf := memberlist.DefaultLANConfig()
	conf.Name = cfg.NodeName
	conf.BindAddr = cfg.BindAddr
	port := cfg.Ports.Gossip
	if port == 0 {
		p, err := freePort(cfg.BindAddr)
		if err != nil {
			return nil, err
		}
		port = p
	}
	conf.BindPort, conf.AdvertisePort = port, port
	conf.AdvertiseAddr = cfg.advertiseIP()
	conf.TCPTimeout = gossipTCPTimeout
	conf.Delegate, conf.Events, conf.Merge, conf.Conflict, conf.Alive = m, m, m, m, m
	conf.Logger = newStdLogger("memberlist", m.logger)
	key, err := cfg.gossipKey()
	if err != nil {
		return nil, err
	}
	conf.SecretKey = key
	if conf.Transport, err = newGossipTransport(conf); err != nil {
		return nil, fmt.Errorf("cluster: gossip on ports.gossip %d: %w", port, err)
	}
	return conf, nil
}

// freePort asks the kernel for a free TCP port on ip (ports.gossip: 0).
func freePort(ip string) (int, error) {
	ln, err := listen(net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("cluster: pick a gossip port: %w", err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// join contacts the given gossip addresses. It fails with ErrDuplicateName
// when another agent already uses our node name.
func (m *membership) join(addrs []string) (int, error) {
	n, err := m.ml.Join(addrs)
	if c := m.conflictErr(); c != nil {
		return n, c
	}
	if err != nil {
		return n, transport.Errorf(transport.CodeUnavailable, "cluster: join %s: %s", strings.Join(addrs, ", "), joinReason(err))
	}
	return n, nil
}

// joinReason flattens memberlist's multi-line join error into one line.
func joinReason(err error) string {
	var parts []string
	for line := range strings.SplitSeq(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		if line == "" || strings.HasSuffix(line, "error occurred:") || strings.HasSuffix(line, "errors occurred:") {
			continue
		}
		parts = append(parts, line)
	}
	if len(parts) == 0 {
		return oneLine(err.Error())
	}
	return strings.Join(parts, "; ")
}

func (m *membership) conflictErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conflict
}

// leave announces that this node is leaving (its gossip meta says so, so
// peers record "left", not "failed") and leaves the gossip pool. It runs
// once: Leave and the Shutdown after it both call it, and announcing again
// after the pool is left can only time out.
func (m *membership) leave() error {
	m.mu.Lock()
	if m.self.Leaving {
		m.mu.Unlock()
		return nil
	}
	m.self.Leaving = true
	raw, err := m.self.encode()
	if err == nil {
		m.metaBytes = raw
	}
	m.mu.Unlock()
	if err := m.ml.UpdateNode(gossipLeaveTimeout); err != nil {
		m.logger.Warn("announcing leave in gossip meta", "err", err)
	}
	if err := m.ml.Leave(gossipLeaveTimeout); err != nil {
		return fmt.Errorf("cluster: leave gossip: %w", err)
	}
	return nil
}

func (m *membership) shutdown() error {
	if err := m.ml.Shutdown(); err != nil {
		return fmt.Errorf("cluster: stop gossip: %w", err)
	}
	return nil
}

// list returns the member table sorted by name, with live statuses
// (alive/suspect) refreshed from memberlist.
func (m *membership) list() []member {
	live := map[string]string{}
	for _, n := range m.ml.Members() {
		live[n.Name] = statusOf(n.State)
	}
	m.mu.Lock()
	out := make([]member, 0, len(m.table))
	for name, mem := range m.table {
		c := *mem
		if st, ok := live[name]; ok && c.status != transport.MemberLeft {
			c.status = st
		}
		out = append(out, c)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].meta.Name < out[j].meta.Name })
	return out
}

// lookup returns the member with the given name.
func (m *membership) lookup(name string) (member, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem, ok := m.table[name]
	if !ok {
		return member{}, false
	}
	return *mem, true
}

func statusOf(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return transport.MemberAlive
	case memberlist.StateSuspect:
		return transport.MemberSuspect
	case memberlist.StateLeft:
		return transport.MemberLeft
	}
	return transport.MemberFailed
}

// signal notes a membership change for the leader and bootstrap loops.
func (m *membership) signal() {
	for _, ch := range []chan struct{}{m.changed, m.bootstrap} {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
