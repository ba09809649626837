//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/yairfalse/ovi/transport"
)

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
	errs  map[string]int
}

func (h *history) add(op porcupine.Operation) {
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

// neverSent reports a request that could not reach the node at all.
func neverSent(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func (h *history) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.errs == nil {
		h.errs = map[string]int{}
	}
	msg := err.Error()
	if len(msg) > 90 {
		msg = msg[:90]
	}
	h.errs[msg]++
}

func (h *history) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// runClient writes and reads (consistent) registers through random nodes
// until stop closes.
func runClient(id int, nodes []*node, h *history, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(id), 42))
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		n := nodes[rng.IntN(len(nodes))]
		key := keys[rng.IntN(len(keys))]
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if rng.IntN(3) == 0 {
			val := fmt.Sprintf("c%d-%d", id, seq)
			call := h.now()
			_, err := n.client.Note(ctx, transport.NoteRequest{ResourceID: key, Text: val})
			ret := h.now()
			if err != nil {
				h.fail(err)
				ret = math.MaxInt64 // outcome unknown: may take effect any time later
			}
			if err != nil && neverSent(err) {
				cancel()
				continue
			}
			h.add(porcupine.Operation{ClientId: id, Input: regInput{Write: true, Key: key, Value: val}, Call: call, Output: regOutput{}, Return: ret})
		} else {
			call := h.now()
			st, err := n.client.State(ctx, transport.StateQuery{Prefix: "notes/" + key, Consistency: transport.Consistent})
			ret := h.now()
			if err != nil {
				h.fail(err)
			}
			if err == nil {
				out := regOutput{}
				if len(st.Entries) == 1 && st.Entries[0].Record != nil {
					out.Value = st.Entries[0].Record.Note.Text
				}
				h.add(porcupine.Operation{ClientId: id, Input: regInput{Key: key}, Call: call, Output: out, Return: ret})
			}
		}
		cancel()
	}
}

func TestLinearizableAcrossLeaderKill(t *testing.T) {
	bin := binary(t)
	nodes, l := startCluster(t, bin)
	h := &history{start: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for id := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runClient(id, nodes, h, stop)
		}()
	}
	more := func(what string, n int) {
		target := h.count() + n
		waitFor(t, what, 60*time.Second, func() bool { return h.count() >= target })
	}
	more("load before the fault", 150)
	l.stop(syscall.SIGKILL)
	waitFor(t, "a new leader", 20*time.Second, func() bool { return leader(nodes, 3) != nil })
	more("load after failover", 150)
	l.start()
	waitFor(t, "the old leader back", 20*time.Second, func() bool { _, ok := l.status(); return ok })
	more("load after the restart", 150)
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
	for msg, n := range h.errs {
		t.Logf("%5d × %s", n, msg)
	}
	t.Logf("history: %d writes, %d consistent reads, 1 leader kill -9 and restart", writes, reads)
	if reads < 50 || writes < 50 {
		t.Fatalf("too little load to check: %d writes, %d reads", writes, reads)
	}
	res := porcupine.CheckOperationsTimeout(registerModel(), h.ops, 60*time.Second)
	if res != porcupine.Ok {
		t.Fatalf("history is not linearizable: %s", res)
	}
}
