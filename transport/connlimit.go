package transport

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ConnLimits bound what one listener holds for its clients, so that a
// flood of connections that send nothing (or little) costs the agent a
// fixed amount of memory and file descriptors, and every one is closed
// within a known time.
type ConnLimits struct {
	// MaxConns is the most connections the listener holds at once;
	// beyond it a new connection is closed as soon as it is accepted.
	MaxConns int
	// MaxPerIP is the most of them from one IP address (0: MaxConns), so
	// one client cannot take every slot.
	MaxPerIP int
	// FirstByte is how long a new connection may stay silent: it is handed
	// to the server only once its first byte has arrived, and closed if
	// that takes longer (0: handed over at once).
	FirstByte time.Duration
}

// ConnCounter admits connections under ConnLimits and counts those it
// refuses. A LimitedListener uses one; so does a server that accepts on
// its own (the gossip transport).
type ConnCounter struct {
	lim      ConnLimits
	mu       sync.Mutex
	total    int
	perIP    map[string]int
	refused  atomic.Uint64
	timedOut atomic.Uint64
}

// NewConnCounter returns a counter enforcing lim.
func NewConnCounter(lim ConnLimits) *ConnCounter {
	if lim.MaxPerIP <= 0 || lim.MaxPerIP > lim.MaxConns {
		lim.MaxPerIP = lim.MaxConns
	}
	return &ConnCounter{lim: lim, perIP: map[string]int{}}
}

// Admit returns c wrapped so that closing it frees its slot, or closes c
// and returns nil when the limits are reached.
func (cc *ConnCounter) Admit(c net.Conn) net.Conn {
	ip := remoteIP(c)
	cc.mu.Lock()
	ok := cc.total < cc.lim.MaxConns && cc.perIP[ip] < cc.lim.MaxPerIP
	if ok {
		cc.total++
		cc.perIP[ip]++
	}
	cc.mu.Unlock()
	if !ok {
		cc.refused.Add(1)
		_ = c.Close()
		return nil
	}
	return &limitedConn{Conn: c, release: func() { cc.release(ip) }}
}

func (cc *ConnCounter) release(ip string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.total--
	if cc.perIP[ip]--; cc.perIP[ip] <= 0 {
		delete(cc.perIP, ip)
	}
}

// Open is the number of connections held now.
func (cc *ConnCounter) Open() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.total
}

// Refused is the number of connections closed at accept over the limits.
func (cc *ConnCounter) Refused() uint64 { return cc.refused.Load() }

// TimedOut is the number of connections closed for sending nothing
// within FirstByte.
func (cc *ConnCounter) TimedOut() uint64 { return cc.timedOut.Load() }

// remoteIP is the IP of c's peer ("" when it has none).
func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return ""
}

// limitedConn frees its slot once, on Close, and first returns the byte
// the listener read to see the client speak.
type limitedConn struct {
	net.Conn
	release func()
	once    sync.Once
	first   []byte
}

// Read returns the byte read ahead first.
func (c *limitedConn) Read(p []byte) (int, error) {
	if len(c.first) > 0 && len(p) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite half-closes a TCP connection (net/http uses it to linger).
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// Close closes the connection and frees its slot.
func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// LimitedListener is a net.Listener under ConnLimits: it accepts in its
// own goroutine, closes connections over the limits at once, and (with
// FirstByte) hands a connection to Accept only when the client has spoken,
// so a silent one never reaches the server and its buffers.
type LimitedListener struct {
	net.Listener
	counter *ConnCounter
	ready   chan net.Conn
	errs    chan error
	done    chan struct{}
	start   sync.Once
	stop    sync.Once

	mu      sync.Mutex
	waiting map[net.Conn]struct{} // waiting for their first byte
}

// LimitListener wraps ln.
func LimitListener(ln net.Listener, lim ConnLimits) *LimitedListener {
	return &LimitedListener{Listener: ln, counter: NewConnCounter(lim),
		ready: make(chan net.Conn), errs: make(chan error), done: make(chan struct{}), waiting: map[net.Conn]struct{}{}}
}

// Counter is the listener's admission counter (for metrics).
func (l *LimitedListener) Counter() *ConnCounter { return l.counter }

// Accept returns the next admitted connection, or the inner listener's
// error (after Close: net.ErrClosed).
func (l *LimitedListener) Accept() (net.Conn, error) {
	l.start.Do(func() { go l.acceptLoop() })
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the listener; connections still waiting for their first
// byte are closed.
func (l *LimitedListener) Close() error {
	l.stop.Do(func() { close(l.done) })
	err := l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.waiting {
		_ = c.Close()
	}
	return err
}

// acceptLoop accepts, admits and hands over connections until the inner
// listener is closed. Its errors go to Accept's callers, who decide on
// retrying (net/http and raft back off on temporary errors).
func (l *LimitedListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		lc := l.counter.Admit(c)
		if lc == nil {
			continue
		}
		if l.counter.lim.FirstByte <= 0 {
			l.handOver(lc)
			continue
		}
		if !l.wait(lc, true) {
			_ = lc.Close()
			return
		}
		go l.awaitFirstByte(lc)
	}
}

// awaitFirstByte reads the connection's first byte within FirstByte, then
// hands it over; a silent connection is closed.
func (l *LimitedListener) awaitFirstByte(c net.Conn) {
	lc, _ := c.(*limitedConn)
	buf := make([]byte, 1)
	_ = lc.SetReadDeadline(time.Now().Add(l.counter.lim.FirstByte))
	n, err := lc.Conn.Read(buf)
	l.wait(lc, false)
	if err != nil || n == 0 {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			l.counter.timedOut.Add(1)
		}
		_ = lc.Close()
		return
	}
	_ = lc.SetReadDeadline(time.Time{})
	lc.first = buf[:n]
	l.handOver(lc)
}

// wait adds c to (or removes it from) the connections Close must close;
// it reports false once the listener is closed.
func (l *LimitedListener) wait(c net.Conn, add bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !add {
		delete(l.waiting, c)
		return true
	}
	select {
	case <-l.done:
		return false
	default:
	}
	l.waiting[c] = struct{}{}
	return true
}

// handOver gives c to Accept, or closes it once the listener is closed.
func (l *LimitedListener) handOver(c net.Conn) {
	select {
	case l.ready <- c:
	case <-l.done:
		_ = c.Close()
	}
}
