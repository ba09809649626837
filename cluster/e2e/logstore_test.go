//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// TestWALLogStoreSurvivesLeaderKill: a cluster on raft.log_store wal
// takes writes from 16 writers while its leader is killed -9 mid-load;
// once the old leader is back and caught up, every node holds every
// acknowledged note. The data dir records its store, and starting a node
// over it with the other store is refused with one line.
func TestWALLogStoreSurvivesLeaderKill(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin, "--raft-log-store", "wal")
	for _, n := range nodes {
		b, err := os.ReadFile(filepath.Join(n.DataDir, "raft", "log-store"))
		segs, _ := filepath.Glob(filepath.Join(n.DataDir, "raft", "wal", "*.wal"))
		if err != nil || strings.TrimSpace(string(b)) != "wal" || len(segs) == 0 {
			t.Fatalf("%s: log-store %q (%v), %d wal segments", n.Name, b, err, len(segs))
		}
	}
	acked := writeThroughKill(t, nodes, l)
	l.Start()
	var nl *clustertest.Node
	clustertest.WaitFor(t, "a leader of three voters again", 60*time.Second, func() bool {
		nl = clustertest.Leader(nodes, 3)
		return nl != nil
	})
	st, err := nl.Client.Status(clustertest.Context(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, "every node caught up", 60*time.Second, func() bool {
		for _, n := range nodes {
			if s, ok := n.Status(); !ok || s.AppliedIndex < st.CommitIndex {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if missing := missingNotes(t, n, acked); len(missing) > 0 {
			t.Fatalf("%s lost %d of %d acknowledged notes, e.g. %v", n.Name, len(missing), len(acked), missing[:min(5, len(missing))])
		}
	}
	t.Logf("%d acknowledged notes, all on every node after kill -9 of %s", len(acked), l.Name)
	refuseOtherStore(t, bin, nodes[0])
}

// writeThroughKill runs 16 writers through the followers, kills the leader
// after 300 acknowledged notes, and stops 300 acknowledged notes after
// the kill; it returns the acknowledged texts.
func writeThroughKill(t *testing.T, nodes []*clustertest.Node, l *clustertest.Node) map[string]bool {
	t.Helper()
	fs := clustertest.Followers(nodes, l)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var mu sync.Mutex
	acked := map[string]bool{}
	killAt, stopAt := 300, -1
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				text := fmt.Sprintf("w%d-%d", w, i)
				if _, err := fs[i%2].Client.Note(ctx, transport.NoteRequest{ResourceID: "walkill", Text: text}); err != nil {
					continue // not acknowledged: may or may not be there
				}
				mu.Lock()
				acked[text] = true
				n := len(acked)
				if n == killAt {
					l.Kill()
					stopAt = n + 300
				}
				if stopAt > 0 && n >= stopAt {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if stopAt < 0 || len(acked) < stopAt {
		t.Fatalf("only %d notes acknowledged (kill at %d, stop at %d)", len(acked), killAt, stopAt)
	}
	return acked
}

// missingNotes lists the acknowledged texts n's WAL lacks (a stale read:
// n's own store).
func missingNotes(t *testing.T, n *clustertest.Node, acked map[string]bool) []string {
	t.Helper()
	w, err := n.Client.WAL(clustertest.Context(t, 30*time.Second), transport.WALQuery{ResourceID: "walkill",
		Kinds: []wal.Kind{wal.KindNote}, Consistency: transport.Stale})
	if err != nil {
		t.Fatalf("%s: wal: %v", n.Name, err)
	}
	have := map[string]bool{}
	for _, e := range w.Records {
		if e.Record.Note != nil {
			have[e.Record.Note.Text] = true
		}
	}
	var missing []string
	for text := range acked {
		if !have[text] {
			missing = append(missing, text)
		}
	}
	return missing
}

// refuseOtherStore stops n and starts it over its wal data dir with
// --raft-log-store boltdb: one line naming the marker and the migration.
func refuseOtherStore(t *testing.T, bin string, n *clustertest.Node) {
	t.Helper()
	n.Kill()
	cmd := exec.CommandContext(clustertest.Context(t, 30*time.Second), bin, "agent", "--node-name", n.Name, "--data-dir", n.DataDir,
		"--bind-addr", "127.0.0.1", "--http-port", "0", "--raft-port", "0", "--gossip-port", "0", "--raft-log-store", "boltdb")
	b, err := cmd.CombinedOutput()
	out := string(b)
	marker := filepath.Join(n.DataDir, "raft", "log-store")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if err == nil || !strings.Contains(last, marker) || !strings.Contains(last, `records "wal"`) ||
		!strings.Contains(last, "docs/operations.md#changing-the-raft-log-store") {
		t.Fatalf("boltdb over a wal data dir: err %v, output:\n%s", err, out)
	}
}
