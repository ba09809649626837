package cluster

import (
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/yairfalse/ovi/transport"
)

// Connection bounds of the agent's listeners (docs/operations.md,
// "Connection limits"). Each listener holds at most MaxConns connections,
// at most MaxPerIP from one address; beyond that a new connection is
// closed as soon as it is accepted. A connection that sends nothing is
// closed after FirstByte (HTTP, Raft) or gossipTCPTimeout (gossip).
//
// HTTP: operators, `wal replay --follow` streams and followers forwarding
// writes (one connection per concurrent request). Raft: each peer keeps a
// pool of up to raftMaxPool connections plus its heartbeat and pipeline
// ones, and every Raft connection costs raft's 256 KiB read buffer, so the
// bound is tight. Gossip: memberlist opens a short stream per push/pull
// or join.
const (
	httpFirstByte = 10 * time.Second // also the HTTP server's ReadHeaderTimeout
	httpIdle      = 2 * time.Minute  // keep-alive between requests
)

// Per-listener limits.
func httpConnLimits() transport.ConnLimits {
	return transport.ConnLimits{MaxConns: 1024, MaxPerIP: 256, FirstByte: httpFirstByte}
}

func raftConnLimits() transport.ConnLimits {
	return transport.ConnLimits{MaxConns: 128, MaxPerIP: 32, FirstByte: transport.DefaultHandshakeTimeout}
}

func gossipConnLimits() transport.ConnLimits {
	return transport.ConnLimits{MaxConns: 128, MaxPerIP: 32}
}

// gossipTransport is memberlist's NetTransport with gossipConnLimits on
// its stream (TCP) side: memberlist accepts by itself and starts a
// goroutine for every connection, so the limit sits between its accept
// loop and its stream handler. memberlist closes a stream after
// gossipTCPTimeout (its TCPTimeout) whatever it carries.
type gossipTransport struct {
	*memberlist.NetTransport
	counter *transport.ConnCounter
	streams chan net.Conn
	done    chan struct{} // closed by Shutdown
	stopped chan struct{} // closed once the inner transport has shut down
	once    sync.Once
}

// newGossipTransport binds the gossip port (TCP and UDP) on conf's address.
func newGossipTransport(conf *memberlist.Config) (*gossipTransport, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{conf.BindAddr}, BindPort: conf.BindPort, Logger: conf.Logger,
	})
	if err != nil {
		return nil, err
	}
	g := &gossipTransport{NetTransport: nt, counter: transport.NewConnCounter(gossipConnLimits()),
		streams: make(chan net.Conn), done: make(chan struct{}), stopped: make(chan struct{})}
	go g.forward()
	return g, nil
}

// StreamCh is the admitted stream connections.
func (g *gossipTransport) StreamCh() <-chan net.Conn { return g.streams }

// forward admits the inner transport's connections. It keeps draining
// (closing what arrives) after Shutdown began, so the inner accept loop
// never blocks its own shutdown.
func (g *gossipTransport) forward() {
	for {
		select {
		case c := <-g.NetTransport.StreamCh():
			g.admit(c)
		case <-g.stopped:
			return
		}
	}
}

func (g *gossipTransport) admit(c net.Conn) {
	lc := g.counter.Admit(c)
	if lc == nil {
		return
	}
	select {
	case g.streams <- lc:
	case <-g.done:
		_ = lc.Close()
	}
}

// Shutdown stops the transport.
func (g *gossipTransport) Shutdown() error {
	g.once.Do(func() { close(g.done) })
	err := g.NetTransport.Shutdown()
	select {
	case <-g.stopped:
	default:
		close(g.stopped)
	}
	return err
}
