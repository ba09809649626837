//go:build e2e

package clustertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/yairfalse/ovi/transport"
)

// History collects register operations from concurrent clients, with
// times relative to its start, and counts the calls that failed.
type History struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
	errs  map[string]int
}

// NewHistory starts an empty history now.
func NewHistory() *History {
	return &History{start: time.Now(), errs: map[string]int{}}
}

// Add records one operation.
func (h *History) Add(op porcupine.Operation) {
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

// Fail counts one failed call under (the first 90 bytes of) its message.
func (h *History) Fail(err error) {
	msg := err.Error()
	if len(msg) > 90 {
		msg = msg[:90]
	}
	h.mu.Lock()
	h.errs[msg]++
	h.mu.Unlock()
}

// Count is how many operations are recorded so far.
func (h *History) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// Ops returns a copy of the recorded operations.
func (h *History) Ops() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops)
}

// Errors returns the failed calls counted by message.
func (h *History) Errors() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.errs)
}

// Failures is how many calls failed in all.
func (h *History) Failures() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.errs {
		n += c
	}
	return n
}

func (h *History) now() int64 { return int64(time.Since(h.start)) }

// NeverSent reports a request that could not reach the node at all.
func NeverSent(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// ClientConfig shapes the load of RunClient.
type ClientConfig struct {
	Seed    uint64        // second seed of the client's PCG (the first is its id)
	Keys    []string      // the registers it uses
	Timeout time.Duration // bound of each call
}

// RunClient writes (notes) and reads (consistent state reads) registers
// through random clients until stop closes, recording into h. A write
// whose outcome is unknown (an error after it was sent) may take effect at
// any later time; one never sent is left out.
func RunClient(id int, clients []*transport.Client, h *History, stop <-chan struct{}, cfg ClientConfig) {
	rng := rand.New(rand.NewPCG(uint64(id), cfg.Seed))
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		c := clients[rng.IntN(len(clients))]
		key := cfg.Keys[rng.IntN(len(cfg.Keys))]
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
		if rng.IntN(3) == 0 {
			h.write(ctx, id, c, key, fmt.Sprintf("c%d-%d", id, seq))
		} else {
			h.read(ctx, id, c, key)
		}
		cancel()
	}
}

// write records put(key, val) through c.
func (h *History) write(ctx context.Context, id int, c *transport.Client, key, val string) {
	call := h.now()
	_, err := c.Note(ctx, transport.NoteRequest{ResourceID: key, Text: val})
	ret := h.now()
	if err != nil {
		h.Fail(err)
		ret = math.MaxInt64 // outcome unknown: may take effect any time later
	}
	if err != nil && NeverSent(err) {
		return
	}
	h.Add(porcupine.Operation{ClientId: id, Input: RegInput{Write: true, Key: key, Value: val}, Call: call, Output: RegOutput{}, Return: ret})
}

// read records get(key) through c with a consistent read.
func (h *History) read(ctx context.Context, id int, c *transport.Client, key string) {
	call := h.now()
	st, err := c.State(ctx, transport.StateQuery{Prefix: "notes/" + key, Consistency: transport.Consistent})
	ret := h.now()
	if err != nil {
		h.Fail(err)
		return
	}
	out := RegOutput{}
	if len(st.Entries) == 1 && st.Entries[0].Record != nil && st.Entries[0].Record.Note != nil {
		out.Value = st.Entries[0].Record.Note.Text
	}
	h.Add(porcupine.Operation{ClientId: id, Input: RegInput{Key: key}, Call: call, Output: out, Return: ret})
}
