//go:build e2e

package faults

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultMode is what a proxy does to traffic it must not pass.
type faultMode int

const (
	pass      faultMode = iota
	drop                // close the connections, refuse new ones (the peer looks down)
	blackhole           // keep connections open and discard every byte (packets lost: timeouts)
)

func (m faultMode) String() string {
	return [...]string{"pass", "drop", "blackhole"}[m]
}

// everyone blocks every source.
const everyone = "*"

// tcpProxy listens on a node's advertised address and forwards to its real
// one, copying both ways. With identify set it names the peer behind each
// connection from the first bytes it sends (a Raft RPC header carries the
// sender's advertised address), so links can be cut one peer at a time:
// every loopback connection comes from 127.0.0.1, whoever opens it.
type tcpProxy struct {
	ln       net.Listener
	target   string
	identify func(first []byte) string

	mu      sync.Mutex
	blocked map[string]faultMode // by peer name, or everyone
	conns   map[*proxyConn]struct{}
	wg      sync.WaitGroup
}

// proxyConn is one proxied connection.
type proxyConn struct {
	peer           string
	client, server net.Conn
	holed          atomic.Bool // blackholed: read and discard both ways
	once           sync.Once
}

func (pc *proxyConn) close() {
	pc.once.Do(func() {
		_ = pc.client.Close()
		if pc.server != nil {
			_ = pc.server.Close()
		}
	})
}

// startProxy listens on addr and forwards to target until the test ends.
func startProxy(t *testing.T, addr, target string, identify func([]byte) string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("proxy on %s: %v", addr, err)
	}
	p := &tcpProxy{ln: ln, target: target, identify: identify, blocked: map[string]faultMode{}, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

// mode returns what to do with traffic from peer.
func (p *tcpProxy) mode(peer string) faultMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.blocked[everyone]; ok {
		return m
	}
	return p.blocked[peer]
}

// handle identifies the peer, applies the fault and pipes the bytes.
func (p *tcpProxy) handle(client net.Conn) {
	pc := &proxyConn{client: client}
	first := p.peek(pc)
	switch p.mode(pc.peer) {
	case drop:
		_ = client.Close()
		return
	case blackhole:
		pc.holed.Store(true)
	}
	server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		_ = client.Close()
		return
	}
	pc.server = server
	p.mu.Lock()
	p.conns[pc] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
		pc.close()
	}()
	if len(first) > 0 && !pc.holed.Load() {
		if _, err := server.Write(first); err != nil {
			return
		}
	}
	done := make(chan struct{})
	go func() {
		pipe(server, client, &pc.holed)
		pc.close()
		close(done)
	}()
	pipe(client, server, &pc.holed)
	pc.close()
	<-done
}

// peek reads the first bytes of a connection until the peer is known
// (or 4 KiB, or 2 s), when the proxy identifies peers.
func (p *tcpProxy) peek(pc *proxyConn) []byte {
	if p.identify == nil {
		return nil
	}
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 4096)
	_ = pc.client.SetReadDeadline(time.Now().Add(2 * time.Second))
	defer func() { _ = pc.client.SetReadDeadline(time.Time{}) }()
	for len(buf) < cap(buf) {
		n, err := pc.client.Read(chunk[:cap(buf)-len(buf)])
		buf = append(buf, chunk[:n]...)
		if pc.peer = p.identify(buf); pc.peer != "" || err != nil {
			break
		}
	}
	return buf
}

// pipe copies src to dst; while holed is set, bytes are read and dropped.
func pipe(dst, src net.Conn, holed *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !holed.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// block applies mode to traffic from peer (or everyone), to open
// connections as well as new ones.
func (p *tcpProxy) block(peer string, mode faultMode) {
	p.mu.Lock()
	p.blocked[peer] = mode
	var hit []*proxyConn
	for c := range p.conns {
		if peer == everyone || c.peer == peer {
			hit = append(hit, c)
		}
	}
	p.mu.Unlock()
	for _, c := range hit {
		if mode == drop {
			c.close()
		} else {
			c.holed.Store(true)
		}
	}
}

// heal passes everything again; blackholed connections lost bytes in the
// middle of their stream, so they are closed (the peers reconnect).
func (p *tcpProxy) heal() {
	p.mu.Lock()
	p.blocked = map[string]faultMode{}
	var holed []*proxyConn
	for c := range p.conns {
		if c.holed.Load() {
			holed = append(holed, c)
		}
	}
	p.mu.Unlock()
	for _, c := range holed {
		c.close()
	}
}

// udpForwarder forwards datagrams sent to a node's advertised gossip port
// to its real one. memberlist answers to the sender's advertised address
// (carried in the message), so nothing needs to flow back.
type udpForwarder struct {
	in  net.PacketConn
	out net.Conn
}

func startUDPForwarder(t *testing.T, addr, target string) {
	t.Helper()
	in, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("udp forwarder on %s: %v", addr, err)
	}
	out, err := net.Dial("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	f := &udpForwarder{in: in, out: out}
	done := make(chan struct{})
	go f.run(done)
	go func() { // drain anything answered to the forwarder itself
		buf := make([]byte, 64<<10)
		for {
			if _, err := out.Read(buf); err != nil && errors.Is(err, net.ErrClosed) {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = in.Close()
		_ = out.Close()
		<-done
	})
}

func (f *udpForwarder) run(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 64<<10)
	for {
		n, _, err := f.in.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = f.out.Write(buf[:n])
	}
}

// network is the proxies in front of a cluster: every node advertises
// 127.0.1.x, where a proxy forwards to its real address 127.0.0.x. Raft
// proxies can cut links; gossip and HTTP proxies always pass.
type network struct {
	raft map[string]*tcpProxy // by node name
}

// startNetwork starts the proxies of a cluster built with behindProxy.
func startNetwork(t *testing.T, cl *cluster) *network {
	t.Helper()
	nw := &network{raft: map[string]*tcpProxy{}}
	for _, n := range cl.nodes {
		port := func(p int) string { return strconv.Itoa(p) }
		adv := func(p int) string { return net.JoinHostPort(n.advIP, port(p)) }
		real := func(p int) string { return net.JoinHostPort(n.bindIP, port(p)) }
		nw.raft[n.name] = startProxy(t, adv(n.raft), real(n.raft), identifyRaftPeer(cl.nodes))
		startProxy(t, adv(n.http), real(n.http), nil)
		startProxy(t, adv(n.gossip), real(n.gossip), nil)
		startUDPForwarder(t, adv(n.gossip), real(n.gossip))
	}
	return nw
}

// identifyRaftPeer names the node whose advertised Raft address appears in
// the first bytes of a connection (hashicorp/raft's RPC header).
func identifyRaftPeer(nodes []*node) func([]byte) string {
	addrs := map[string][]byte{}
	for _, n := range nodes {
		addrs[n.name] = []byte(net.JoinHostPort(n.advIP, strconv.Itoa(n.raft)))
	}
	return func(first []byte) string {
		for name, a := range addrs {
			if bytes.Contains(first, a) {
				return name
			}
		}
		return ""
	}
}

// isolate cuts every Raft link between n and the other nodes, both ways.
func (nw *network) isolate(n *node, mode faultMode) {
	nw.raft[n.name].block(everyone, mode)
	for name, p := range nw.raft {
		if name != n.name {
			p.block(n.name, mode)
		}
	}
}

// heal restores every link.
func (nw *network) heal() {
	for _, p := range nw.raft {
		p.heal()
	}
}
