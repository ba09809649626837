package cluster

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// Node-to-node HTTP (write forwarding, read index, bootstrap and health
// checks) goes through one keep-alive transport per agent.
const (
	// peerIdlePerHost idle connections are kept to each peer: a follower
	// forwarding 64 concurrent proposals keeps all 64 connections warm
	// between bursts instead of dialling (and, with TLS, handshaking)
	// again.
	peerIdlePerHost = 64
	// peerConnsPerHost bounds the connections to one peer, busy or idle,
	// below the per-address bound of the peer's HTTP listener
	// (httpConnLimits: 256), which closes the connections beyond it as
	// they are accepted: a forward beyond this bound waits for a
	// connection (within its deadline) instead of being cut mid-request,
	// which would leave its outcome unknown.
	peerConnsPerHost = 128
	peerCallTimeout  = defaultApplyTimeout + 2*time.Second
)

// clientPool caches one API client per peer HTTP address, all on one
// http.Transport. Node-to-node calls carry this node's acl.write_token
// and, with TLS, present the node certificate and verify the peer's
// against the cluster CA and the peer's advertised address.
type clientPool struct {
	token   string
	tls     *tls.Config
	http    *http.Transport
	mu      sync.Mutex
	clients map[string]*transport.Client
}

func newClientPool(token string, tlsConf *tls.Config) *clientPool {
	opts := transport.ClientOptions{TLS: tlsConf, Timeout: peerCallTimeout}
	tr := transport.NewTransport(opts, transport.PoolLimits{
		MaxIdlePerHost: peerIdlePerHost, MaxIdle: 4 * peerIdlePerHost, MaxPerHost: peerConnsPerHost,
	})
	return &clientPool{token: token, tls: tlsConf, http: tr, clients: map[string]*transport.Client{}}
}

// get returns the client of the peer at addr (its gossiped HTTP address).
func (p *clientPool) get(addr string) (*transport.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok {
		return c, nil
	}
	c, err := transport.NewClient(addr, transport.ClientOptions{Token: p.token, TLS: p.tls, Timeout: peerCallTimeout, Transport: p.http})
	if err != nil {
		return nil, fmt.Errorf("cluster: peer HTTP address %q (from gossip): %w", addr, err)
	}
	p.clients[addr] = c
	return c, nil
}

// close releases the idle connections to every peer.
func (p *clientPool) close() { p.http.CloseIdleConnections() }
