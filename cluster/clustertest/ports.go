//go:build e2e

package clustertest

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Ports for the agents a test starts. Asking the kernel for 127.0.0.1:0 and
// closing the listener is not enough: the port goes back to the ephemeral
// pool, and before the agent binds it an outgoing connection (a Raft dial, an
// HTTP client) or a second FreePort may be given the same number ("bind:
// address already in use"). So FreePort picks below the ephemeral range
// (Linux: 32768–60999 by default), where the kernel never assigns a port by
// itself, checks that TCP and UDP (gossip uses both) are free there, and
// claims the number with a file created O_EXCL in a directory shared by every
// test process on the machine, removed when the test ends. Nothing is kept in
// memory, and two test binaries running at once never get the same port.
const (
	portLow   = 10000
	portHigh  = 32000 // exclusive; below the ephemeral range
	portTries = 200
)

// FreePort returns a port on 127.0.0.1 that is free for TCP and UDP and
// claimed for this test until it ends.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePortOn(t, true, "127.0.0.1")
}

// FreePortOn returns a port free for TCP (and UDP if udp) on every one of
// ips (the fault suite binds each node on its own loopback address, and
// its proxy on another), claimed for this test until it ends.
func FreePortOn(t testing.TB, udp bool, ips ...string) int {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "ovi-test-ports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for range portTries {
		port := portLow + rand.IntN(portHigh-portLow)
		claim := filepath.Join(dir, strconv.Itoa(port))
		f, err := os.OpenFile(claim, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
		if portFree(port, udp, ips) {
			t.Cleanup(func() { _ = os.Remove(claim) })
			return port
		}
		_ = os.Remove(claim)
	}
	t.Fatalf("no free port on %v in %d–%d after %d tries", ips, portLow, portHigh, portTries)
	return 0
}

// portFree reports whether port can be bound for TCP (and UDP if udp) on
// every one of ips.
func portFree(port int, udp bool, ips []string) bool {
	var lc net.ListenConfig
	for _, ip := range ips {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		ln, err := lc.Listen(context.Background(), "tcp", addr)
		if err != nil {
			return false
		}
		_ = ln.Close()
		if !udp {
			continue
		}
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			return false
		}
		_ = pc.Close()
	}
	return true
}
