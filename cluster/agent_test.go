package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// testConfig is a config for an in-process agent on 127.0.0.1 with
// kernel-chosen ports.
func testConfig(t *testing.T, name string, expect int, join ...string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NodeName = name
	cfg.DataDir = t.TempDir()
	cfg.Ports = Ports{}
	cfg.BootstrapExpect = expect
	cfg.RetryJoin = join
	cfg.Version = "test"
	level := slog.LevelWarn
	if os.Getenv("OVI_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("node", name)
	return cfg
}

func startAgent(t *testing.T, cfg Config) *Agent {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("start %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a
}

// startAgentWith starts an agent in its two phases, hosting rec.
func startAgentWith(t *testing.T, cfg Config, rec Reconciler) *Agent {
	t.Helper()
	a, err := Open(cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	if err := a.Start(rec); err != nil {
		t.Fatalf("start %s: %v", cfg.NodeName, err)
	}
	return a
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startThree(t *testing.T) []*Agent {
	t.Helper()
	a1 := startAgent(t, testConfig(t, "n1", 3))
	a2 := startAgent(t, testConfig(t, "n2", 3, a1.GossipAddr()))
	a3 := startAgent(t, testConfig(t, "n3", 3, a1.GossipAddr()))
	agents := []*Agent{a1, a2, a3}
	waitFor(t, "a leader with three voters", 20*time.Second, func() bool {
		l := leaderOf(agents)
		return l != nil && l.peerCount() == 3 && l.readyTerm.Load() != 0
	})
	return agents
}

func leaderOf(agents []*Agent) *Agent {
	for _, a := range agents {
		if a.IsLeader() {
			return a
		}
	}
	return nil
}

func followerOf(agents []*Agent) *Agent {
	for _, a := range agents {
		if !a.IsLeader() {
			return a
		}
	}
	return nil
}

func note(id, text string) wal.Record {
	return wal.Record{Kind: wal.KindNote, ResourceID: id, Note: &wal.Note{Text: text}}
}

func TestThreeAgentsReplicateThroughAFollower(t *testing.T) {
	agents := startThree(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := followerOf(agents)
	rev, err := f.Propose(ctx, []wal.Record{note("r1", "hello")})
	if err != nil {
		t.Fatalf("propose through follower: %v", err)
	}
	for _, a := range agents {
		c, err := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.State(ctx, transport.StateQuery{Revision: rev, Prefix: "notes/", Consistency: transport.Consistent})
		if err != nil {
			t.Fatalf("%s: state: %v", a.NodeName(), err)
		}
		if len(st.Entries) != 1 || st.Entries[0].Record == nil || st.Entries[0].Record.Note.Text != "hello" ||
			st.Entries[0].Record.Node != f.NodeName() || st.Entries[0].Record.Term == 0 {
			t.Fatalf("%s: state = %+v", a.NodeName(), st)
		}
		w, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindNote}, Consistency: transport.Consistent})
		if err != nil || len(w.Records) != 1 || w.Records[0].Revision.Main != rev {
			t.Fatalf("%s: wal = %+v, %v", a.NodeName(), w, err)
		}
	}
}

func TestMembersAndLeave(t *testing.T) {
	agents := startThree(t)
	ctx := context.Background()
	l := leaderOf(agents)
	ms := l.Members()
	if len(ms) != 3 {
		t.Fatalf("members = %+v", ms)
	}
	for _, m := range ms {
		if m.Status != transport.MemberAlive || !m.Voter || m.HTTPAddr == "" {
			t.Fatalf("member = %+v", m)
		}
	}
	f := followerOf(agents)
	if err := f.Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	waitFor(t, "the leaver removed from raft", 15*time.Second, func() bool { return l.peerCount() == 2 })
}

func TestDuplicateNodeNameRefused(t *testing.T) {
	a1 := startAgent(t, testConfig(t, "dup", 1))
	b, err := New(testConfig(t, "dup", 1, a1.GossipAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Shutdown(context.Background()) }()
	select {
	case <-b.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("agent with a duplicate name kept running")
	}
	if !errors.Is(b.Err(), ErrDuplicateName) {
		t.Fatalf("err = %v", b.Err())
	}
}

func TestSingleNodeConsistencyLevels(t *testing.T) {
	a := startAgent(t, testConfig(t, "solo", 1))
	waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	ctx := context.Background()
	for i := range 3 {
		if _, err := a.Propose(ctx, []wal.Record{note("k", fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, lvl := range []transport.Consistency{transport.Stale, transport.Default, transport.Consistent} {
		if err := a.ReadBarrier(ctx, lvl); err != nil {
			t.Fatalf("%s: %v", lvl, err)
		}
	}
	if _, err := a.Propose(ctx, nil); err == nil {
		t.Fatal("empty proposal accepted")
	}
	bad := wal.Record{Kind: wal.KindNote}
	if _, err := a.Propose(ctx, []wal.Record{bad}); err == nil {
		t.Fatal("record without payload accepted")
	}
}
