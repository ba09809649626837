package cluster

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// countingLeader is a stand-in for the leader's propose endpoint that
// counts the TCP connections it accepts and the requests in flight; a
// request waits until hold says go.
type countingLeader struct {
	srv              *httptest.Server
	conns            atomic.Int64
	inFlight, peak   atomic.Int64
	mu               sync.Mutex
	hold             func(inFlight int64) <-chan struct{}
	released, closed chan struct{}
}

func newCountingLeader(t *testing.T) *countingLeader {
	t.Helper()
	cl := &countingLeader{released: make(chan struct{}), closed: make(chan struct{})}
	close(cl.released)
	cl.srv = httptest.NewUnstartedServer(http.HandlerFunc(cl.serve))
	cl.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			cl.conns.Add(1)
		}
	}
	cl.srv.Start()
	t.Cleanup(func() { close(cl.closed); cl.srv.Close() })
	return cl
}

func (cl *countingLeader) serve(w http.ResponseWriter, r *http.Request) {
	var in transport.ProposeRequest
	if e := transport.DecodeBodyLimit(w, r, &in, maxProposeBody); e != nil {
		transport.WriteError(w, e)
		return
	}
	n := cl.inFlight.Add(1)
	defer cl.inFlight.Add(-1)
	raisePeak(&cl.peak, n)
	cl.mu.Lock()
	var wait <-chan struct{} = cl.released
	if cl.hold != nil {
		wait = cl.hold(n)
	}
	cl.mu.Unlock()
	select {
	case <-wait:
	case <-cl.closed:
	}
	out := transport.ProposeResponse{Revision: uint64(n)}
	transport.WriteJSON(w, http.StatusOK, &out)
}

// raisePeak sets peak to n if n is larger.
func raisePeak(peak *atomic.Int64, n int64) {
	for p := peak.Load(); n > p; p = peak.Load() {
		if peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func proposeVia(t *testing.T, c *transport.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{note("k", "v")}}); err != nil {
		t.Error(err)
	}
}

func TestForwardingKeepsConnectionsAliveWithinThePeerBound(t *testing.T) {
	cl := newCountingLeader(t)
	pool := newClientPool("", nil)
	t.Cleanup(pool.close)
	c, err := pool.get(cl.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		proposeVia(t, c)
	}
	if n := cl.conns.Load(); n != 1 {
		t.Fatalf("100 sequential forwards opened %d connections, want 1 kept alive", n)
	}
	// 200 at once: at most peerConnsPerHost connections; the rest wait for one.
	release := make(chan struct{})
	var once sync.Once
	cl.mu.Lock()
	cl.hold = func(n int64) <-chan struct{} {
		if n == peerConnsPerHost {
			once.Do(func() { close(release) })
		}
		return release
	}
	cl.mu.Unlock()
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() { defer wg.Done(); proposeVia(t, c) }()
	}
	wg.Wait()
	if p, n := cl.peak.Load(), cl.conns.Load(); p != peerConnsPerHost || n > peerConnsPerHost {
		t.Fatalf("200 concurrent forwards: %d in flight at once on %d connections, want %d at most on at most %d", p, n, peerConnsPerHost, peerConnsPerHost)
	}
	before := cl.conns.Load()
	for range 64 {
		proposeVia(t, c)
	}
	if n := cl.conns.Load() - before; n != 0 {
		t.Fatalf("after the burst, 64 forwards opened %d new connections, want 0 (the idle pool keeps %d)", n, peerIdlePerHost)
	}
}
