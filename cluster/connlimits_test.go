package cluster

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestListenerLimitsAreMetered holds 40 silent connections from one
// address to the Raft port (its per-address limit is 32): 8 are refused at
// accept, 32 held, and /metrics says so; once they are closed the count
// goes back down.
func TestListenerLimitsAreMetered(t *testing.T) {
	a, c := soloClient(t, nil)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.9")}, Timeout: 5 * time.Second}
	conns := make([]net.Conn, 0, 40)
	for range 40 {
		conn, err := d.Dial("tcp", a.RaftAddr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	metric := func(name string) float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		text, err := c.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return gaugeValue(text, name)
	}
	const open, refused = `ovi_listener_connections\{listener="raft"\}`, `ovi_listener_refused_total\{listener="raft"\}`
	waitFor(t, "8 refused, 32 held", 10*time.Second, func() bool { return metric(refused) == 8 && metric(open) >= 32 })
	if n := metric(`ovi_listener_connections\{listener="http"\}`); n < 0 {
		t.Fatal("no http listener gauge")
	}
	if n := metric(`ovi_listener_refused_total\{listener="gossip"\}`); n != 0 {
		t.Fatalf("gossip refused %v, want 0", n)
	}
	for _, conn := range conns {
		_ = conn.Close()
	}
	waitFor(t, "the held connections released", 10*time.Second, func() bool { return metric(open) < 32 })
}
