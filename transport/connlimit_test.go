package transport

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// limited listens on 127.0.0.1 under lim and serves every accepted
// connection to accepted.
func limited(t *testing.T, lim ConnLimits) (*LimitedListener, chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(ln, lim)
	accepted := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() { _ = l.Close() })
	return l, accepted
}

func dialFrom(t *testing.T, l net.Listener, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closedByPeer reports whether the other side closed c within d.
func closedByPeer(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && (!errors.As(err, &ne) || !ne.Timeout())
}

func TestLimitListenerBoundsConnectionsPerIPAndInTotal(t *testing.T) {
	l, accepted := limited(t, ConnLimits{MaxConns: 3, MaxPerIP: 2})
	a1, a2 := dialFrom(t, l, "127.0.0.2"), dialFrom(t, l, "127.0.0.2")
	for range 2 {
		<-accepted
	}
	if over := dialFrom(t, l, "127.0.0.2"); !closedByPeer(over, 5*time.Second) {
		t.Fatal("a third connection from one address was kept (per-address limit 2)")
	}
	b1 := dialFrom(t, l, "127.0.0.3")
	kept := <-accepted
	if over := dialFrom(t, l, "127.0.0.4"); !closedByPeer(over, 5*time.Second) {
		t.Fatal("a fourth connection was kept (limit 3)")
	}
	if got := l.Counter().Refused(); got != 2 {
		t.Fatalf("refused = %d, want 2", got)
	}
	// Closing a held connection frees its slot.
	_ = kept.Close()
	if !closedByPeer(b1, 5*time.Second) {
		t.Fatal("the server's close did not reach the client")
	}
	waitOpen(t, l.Counter(), 2)
	dialFrom(t, l, "127.0.0.4")
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("a freed slot was not reused")
	}
	_, _ = a1, a2
}

func waitOpen(t *testing.T, cc *ConnCounter, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for cc.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("open = %d, want %d", cc.Open(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLimitListenerClosesSilentConnectionsAndKeepsTheFirstByte(t *testing.T) {
	l, accepted := limited(t, ConnLimits{MaxConns: 8, FirstByte: 200 * time.Millisecond})
	silent := dialFrom(t, l, "127.0.0.2")
	start := time.Now()
	if !closedByPeer(silent, 5*time.Second) {
		t.Fatal("a silent connection was not closed")
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 3*time.Second {
		t.Fatalf("silent connection closed after %s, want about 200ms", took)
	}
	if l.Counter().TimedOut() != 1 {
		t.Fatalf("timed out = %d, want 1", l.Counter().TimedOut())
	}
	select {
	case <-accepted:
		t.Fatal("a silent connection reached Accept")
	default:
	}
	talker := dialFrom(t, l, "127.0.0.2")
	if _, err := talker.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c := <-accepted
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("server read %q, %v; want hello", buf, err)
	}
	waitOpen(t, l.Counter(), 1)
}

func TestLimitListenerCloseEndsAccept(t *testing.T) {
	l, accepted := limited(t, ConnLimits{MaxConns: 8, FirstByte: time.Minute})
	waiting := dialFrom(t, l, "127.0.0.2")
	waitOpen(t, l.Counter(), 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-accepted; ok {
		t.Fatal("Accept returned a connection after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
	}
	if !closedByPeer(waiting, 5*time.Second) {
		t.Fatal("a connection waiting for its first byte stayed open after Close")
	}
}
