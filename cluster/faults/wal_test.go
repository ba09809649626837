//go:build e2e

package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// walPage is the page size of WAL reads.
const walPage = 500

// walOf reads a node's whole WAL with a stale read: exactly what this
// node has applied (every applied record is committed).
func walOf(n *node, after transport.Revision) ([]transport.WALEntry, error) {
	var out []transport.WALEntry
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := n.client.WAL(ctx, transport.WALQuery{After: after, Limit: walPage, Consistency: transport.Stale})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read the WAL of %s: %w", n.name, err)
		}
		if len(resp.Records) == 0 {
			return out, nil
		}
		out = append(out, resp.Records...)
		after = resp.Records[len(resp.Records)-1].Revision
	}
}

// replayCLI runs `ovi wal replay -o json` against a node and decodes its
// NDJSON output: the story as an operator would read it.
func replayCLI(t *testing.T, bin string, n *node) []transport.WALEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--address", "http://"+n.httpAddr(), "--consistency", "stale", "-o", "json", "wal", "replay")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ovi wal replay -o json on %s: %v\n%s", n.name, err, stderr.String())
	}
	var entries []transport.WALEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e transport.WALEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("ovi wal replay -o json: line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	return entries
}

// replayText is `ovi wal replay` as an operator reads it.
func replayText(t *testing.T, bin string, n *node) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--address", "http://"+n.httpAddr(), "--no-color", "wal", "replay").CombinedOutput()
	if err != nil {
		t.Fatalf("ovi wal replay on %s: %v\n%s", n.name, err, out)
	}
	return string(out)
}

// witness remembers every record any node has shown, by revision, and
// checks that no node ever shows something else at that revision or
// loses it: a committed record, once seen, must stay exactly as it was.
type witness struct {
	mu    sync.Mutex
	seen  map[transport.Revision][]byte
	after map[string]transport.Revision // per node: last revision polled
	fails []string
}

func newWitness() *witness {
	return &witness{seen: map[transport.Revision][]byte{}, after: map[string]transport.Revision{}}
}

// add records entries shown by node, noting any that contradict the past.
func (w *witness) add(node string, entries []transport.WALEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range entries {
		b, err := json.Marshal(e.Record)
		if err != nil {
			w.fails = append(w.fails, fmt.Sprintf("%s: encode revision %v: %v", node, e.Revision, err))
			continue
		}
		if old, ok := w.seen[e.Revision]; ok && !bytes.Equal(old, b) {
			w.fails = append(w.fails, fmt.Sprintf("%s shows a different record at revision %v:\n  was %s\n  now %s", node, e.Revision, old, b))
			continue
		}
		w.seen[e.Revision] = b
	}
	if len(entries) > 0 {
		w.after[node] = entries[len(entries)-1].Revision
	}
}

// poll reads what node applied since the last poll (cheap; used while a
// kill is pending, so records seen just before the kill are witnessed).
func (w *witness) poll(n *node) {
	w.mu.Lock()
	after := w.after[n.name]
	w.mu.Unlock()
	entries, err := walOf(n, after)
	if err == nil {
		w.add(n.name, entries)
	}
}

// watchWitness starts a witness that polls every node of cl (watch) until
// the test ends.
func (cl *cluster) watchWitness() *witness {
	w := newWitness()
	stop := make(chan struct{})
	go w.watch(cl.nodes, stop)
	cl.t.Cleanup(func() { close(stop) })
	return w
}

// watch polls the given nodes every 50 ms until stop is closed.
func (w *witness) watch(nodes []*node, stop <-chan struct{}) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		for _, n := range nodes {
			if n.Running() {
				w.poll(n)
			}
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// verify reads the whole WAL of every running node and returns the number
// of witnessed records that are missing or changed (lost committed
// records), with a description of each. It first waits until every node
// has applied the last witnessed revision (a record committed a moment ago
// may be on the leader and not yet on a follower), and holds a node only
// to the records up to the index it had applied before its WAL was read.
func (w *witness) verify(t *testing.T, nodes []*node) (int, []string) {
	t.Helper()
	w.mu.Lock()
	var last uint64
	for rev := range w.seen {
		last = max(last, rev.Main)
	}
	w.mu.Unlock()
	waitFor(t, fmt.Sprintf("every running node to apply revision %d", last), 30*time.Second, func() bool {
		for _, n := range nodes {
			if st, ok := n.status(); n.Running() && (!ok || st.AppliedIndex < last) {
				return false
			}
		}
		return true
	})
	lost := 0
	var msgs []string
	for _, n := range nodes {
		st, ok := n.status()
		if !ok {
			continue
		}
		entries, err := walOf(n, transport.Revision{})
		if err != nil {
			t.Fatal(err)
		}
		have := make(map[transport.Revision]bool, len(entries))
		for _, e := range entries {
			have[e.Revision] = true
		}
		w.add(n.name, entries)
		w.mu.Lock()
		for rev, rec := range w.seen {
			if rev.Main <= st.AppliedIndex && !have[rev] {
				lost++
				msgs = append(msgs, fmt.Sprintf("%s lost revision %v: %s", n.name, rev, rec))
			}
		}
		w.mu.Unlock()
	}
	w.mu.Lock()
	lost += len(w.fails)
	msgs = append(msgs, w.fails...)
	w.fails = nil
	w.mu.Unlock()
	sort.Strings(msgs)
	return lost, msgs
}

// actionable reports whether a decided record asks for a provider call.
func actionable(d *wal.Decided) bool {
	if d == nil || d.DryRun {
		return false
	}
	switch d.Action {
	case wal.ActionCreate, wal.ActionDelete, wal.ActionUpdateTags, wal.ActionResize, wal.ActionAdopt:
		return true
	}
	return false
}

// story is what the WAL says about one decision, in order.
type story struct {
	decided   *wal.Record
	executing []wal.Record
	outcome   *wal.Record // executed or failed
}

// stories groups the records of real actionable decisions by decision id.
func stories(entries []transport.WALEntry) map[string]*story {
	out := map[string]*story{}
	for i := range entries {
		r := entries[i].Record
		if r.DecisionID == "" {
			continue
		}
		s := out[r.DecisionID]
		switch r.Kind {
		case wal.KindDecided:
			if actionable(r.Decided) {
				out[r.DecisionID] = &story{decided: &r}
			}
		case wal.KindExecuting:
			if s != nil {
				s.executing = append(s.executing, r)
			}
		case wal.KindExecuted, wal.KindFailed:
			if s != nil && s.outcome == nil {
				s.outcome = &r
			}
		}
	}
	return out
}

// openDecisions counts real actionable decisions without an outcome.
func openDecisions(entries []transport.WALEntry) int {
	n := 0
	for _, s := range stories(entries) {
		if s.outcome == nil {
			n++
		}
	}
	return n
}
