//go:build e2e

package faults

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/yairfalse/ovi/transport"
)

// The register model and client below are copied from
// cluster/e2e/linearizability_test.go (test files cannot be imported):
// each key is a register; a write is a WAL append (a note record on
// notes/<key>), a read is a consistent state read of notes/<key>.

// regInput is one register operation on notes/<Key>.
type regInput struct {
	Write bool
	Key   string
	Value string
}

// regOutput is what a read returned ("" = absent).
type regOutput struct {
	Value string
}

// registerModel is a set of independent registers, one per key.
func registerModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			for _, op := range history {
				k := op.Input.(regInput).Key
				byKey[k] = append(byKey[k], op)
			}
			var out [][]porcupine.Operation
			for _, ops := range byKey {
				out = append(out, ops)
			}
			return out
		},
		Init: func() interface{} { return "" },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			in := input.(regInput)
			if in.Write {
				return true, in.Value
			}
			return output.(regOutput).Value == state.(string), state
		},
		DescribeOperation: func(input, output interface{}) string {
			in := input.(regInput)
			if in.Write {
				return fmt.Sprintf("put(%s, %s)", in.Key, in.Value)
			}
			return fmt.Sprintf("get(%s) -> %q", in.Key, output.(regOutput).Value)
		},
	}
}

// history collects operations from concurrent clients.
type history struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
	errs  int
}

func (h *history) add(op porcupine.Operation) {
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

func (h *history) fail() {
	h.mu.Lock()
	h.errs++
	h.mu.Unlock()
}

func (h *history) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// neverSent reports a request that could not reach the node at all.
func neverSent(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// runClient writes and reads (consistent) registers through random nodes
// until stop closes. A write whose outcome is unknown (an error after it
// was sent) may take effect at any later time.
func runClient(id int, nodes []*node, h *history, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(id), 7))
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		n := nodes[rng.IntN(len(nodes))]
		key := keys[rng.IntN(len(keys))]
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if rng.IntN(3) == 0 {
			val := fmt.Sprintf("c%d-%d", id, seq)
			call := h.now()
			_, err := n.client.Note(ctx, transport.NoteRequest{ResourceID: key, Text: val})
			ret := h.now()
			if err != nil {
				h.fail()
				ret = math.MaxInt64
			}
			if err == nil || !neverSent(err) {
				h.add(porcupine.Operation{ClientId: id, Input: regInput{Write: true, Key: key, Value: val}, Call: call, Output: regOutput{}, Return: ret})
			}
		} else {
			call := h.now()
			st, err := n.client.State(ctx, transport.StateQuery{Prefix: "notes/" + key, Consistency: transport.Consistent})
			ret := h.now()
			if err != nil {
				h.fail()
			} else {
				out := regOutput{}
				if len(st.Entries) == 1 && st.Entries[0].Record != nil && st.Entries[0].Record.Note != nil {
					out.Value = st.Entries[0].Record.Note.Text
				}
				h.add(porcupine.Operation{ClientId: id, Input: regInput{Key: key}, Call: call, Output: out, Return: ret})
			}
		}
		cancel()
	}
}

// TestLinearizableAcrossPartitions runs six clients writing notes (WAL
// appends) and reading them back with consistent reads through all three
// nodes while the leader is cut off (links dropped) and healed, then a
// follower is blackholed and healed. porcupine must find the history
// linearizable.
func TestLinearizableAcrossPartitions(t *testing.T) {
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, true)
	nw := startNetwork(t, cl)
	cl.write(infra{web: 0})
	l := cl.start()
	h := &history{start: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for id := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runClient(id, cl.nodes, h, stop)
		}()
	}
	phase := time.Now()
	more := func(what string, n int) {
		target := h.count() + n
		waitFor(t, what, 90*time.Second, func() bool { return h.count() >= target })
		t.Logf("%-40s %d operations, %s", what, h.count(), time.Since(phase).Round(time.Millisecond))
		phase = time.Now()
	}
	more("load before the faults", 150)
	old := l
	nw.isolate(old, drop)
	waitFor(t, "a leader in the majority", 30*time.Second, func() bool { return leader(others(cl.nodes, old), 3) != nil })
	more("load while the old leader is cut off", 100)
	nw.heal()
	l = cl.waitLeader(60 * time.Second)
	more("load after healing", 100)
	f := others(cl.nodes, l)[0]
	nw.isolate(f, blackhole)
	more("load while a follower is blackholed", 100)
	nw.heal()
	waitFor(t, "every node caught up", 60*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	more("load after the second heal", 100)
	close(stop)
	wg.Wait()
	writes, reads := 0, 0
	for _, op := range h.ops {
		if op.Input.(regInput).Write {
			writes++
		} else {
			reads++
		}
	}
	t.Logf("history: %d writes, %d consistent reads, %d failed calls; leader %s cut off and healed, follower %s blackholed and healed",
		writes, reads, h.errs, old.name, f.name)
	if reads < 100 || writes < 50 {
		t.Fatalf("too little load to check: %d writes, %d reads", writes, reads)
	}
	if res := porcupine.CheckOperationsTimeout(registerModel(), h.ops, 60*time.Second); res != porcupine.Ok {
		t.Fatalf("history is not linearizable: %s", res)
	}
}
