//go:build e2e

package e2e

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
)

func TestLinearizableAcrossLeaderKill(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	h := clustertest.NewHistory()
	clients := make([]*transport.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = n.Client
	}
	load := clustertest.ClientConfig{Seed: 42, Keys: []string{"a", "b", "c", "d", "e", "f", "g", "h"}, Timeout: 3 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for id := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clustertest.RunClient(id, clients, h, stop, load)
		}()
	}
	more := func(what string, n int) {
		target := h.Count() + n
		clustertest.WaitFor(t, what, 60*time.Second, func() bool { return h.Count() >= target })
	}
	more("load before the fault", 150)
	l.Stop(syscall.SIGKILL)
	clustertest.WaitFor(t, "a new leader", 20*time.Second, func() bool { return clustertest.Leader(nodes, 3) != nil })
	more("load after failover", 150)
	l.Start()
	clustertest.WaitFor(t, "the old leader back", 20*time.Second, func() bool { _, ok := l.Status(); return ok })
	more("load after the restart", 150)
	close(stop)
	wg.Wait()
	writes, reads := 0, 0
	ops := h.Ops()
	for _, op := range ops {
		if op.Input.(clustertest.RegInput).Write {
			writes++
		} else {
			reads++
		}
	}
	for msg, n := range h.Errors() {
		t.Logf("%5d × %s", n, msg)
	}
	t.Logf("history: %d writes, %d consistent reads, 1 leader kill -9 and restart", writes, reads)
	if reads < 50 || writes < 50 {
		t.Fatalf("too little load to check: %d writes, %d reads", writes, reads)
	}
	res := porcupine.CheckOperationsTimeout(clustertest.RegisterModel(), ops, 60*time.Second)
	if res != porcupine.Ok {
		t.Fatalf("history is not linearizable: %s", res)
	}
}
