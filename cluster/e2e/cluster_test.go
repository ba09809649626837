//go:build e2e

// Package e2e runs real `ovi agent` processes on 127.0.0.1 (through
// cluster/clustertest) and checks the cluster end to end. The binary comes
// from $OVI_BIN (make e2e builds it); without it the test builds one.
package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// sameAnswers checks every running node answers state and WAL replay at
// rev identically (consistent reads).
func sameAnswers(t *testing.T, nodes []*clustertest.Node, rev uint64) {
	t.Helper()
	ctx := clustertest.Context(t, 30*time.Second)
	var wantState, wantWAL []byte
	for _, n := range nodes {
		if !n.Running() {
			continue
		}
		st, err := n.Client.State(ctx, transport.StateQuery{Revision: rev, Consistency: transport.Consistent})
		if err != nil {
			t.Fatalf("%s: state at %d: %v", n.Name, rev, err)
		}
		w, err := n.Client.WAL(ctx, transport.WALQuery{Until: time.Now().Add(time.Hour), Consistency: transport.Consistent})
		if err != nil {
			t.Fatalf("%s: wal: %v", n.Name, err)
		}
		var recs []transport.WALEntry
		for _, e := range w.Records {
			if e.Revision.Main <= rev {
				recs = append(recs, e)
			}
		}
		gotState, _ := json.Marshal(st)
		gotWAL, _ := json.Marshal(recs)
		if wantState == nil {
			wantState, wantWAL = gotState, gotWAL
			continue
		}
		if string(gotState) != string(wantState) {
			t.Fatalf("%s: state at %d differs:\n%s\nvs\n%s", n.Name, rev, gotState, wantState)
		}
		if string(gotWAL) != string(wantWAL) {
			t.Fatalf("%s: wal replay differs", n.Name)
		}
	}
}

func TestClusterFormsAndReplicatesThroughAFollower(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	f := clustertest.Followers(nodes, l)[0]
	ctx := clustertest.Context(t, 30*time.Second)
	res, err := f.Client.Note(ctx, transport.NoteRequest{ResourceID: "r1", Text: "through a follower"})
	if err != nil {
		t.Fatalf("note through follower %s: %v", f.Name, err)
	}
	sameAnswers(t, nodes, res.Revision)
	st, err := l.Client.State(ctx, transport.StateQuery{Revision: res.Revision, Prefix: "notes/"})
	if err != nil || len(st.Entries) != 1 || st.Entries[0].Record.Note.Text != "through a follower" || st.Entries[0].Record.Node != f.Name {
		t.Fatalf("state = %+v, %v", st, err)
	}
	ms, err := f.Client.Members(ctx)
	if err != nil || len(ms.Members) != 3 {
		t.Fatalf("members = %+v, %v", ms, err)
	}
	for _, m := range ms.Members {
		if m.Status != transport.MemberAlive || !m.Voter {
			t.Fatalf("member %+v", m)
		}
	}
}

func TestLeaderKillFailoverAndCatchUp(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	ctx := clustertest.Context(t, 90*time.Second)
	var last uint64
	for i := range 20 {
		res, err := nodes[i%3].Client.Note(ctx, transport.NoteRequest{ResourceID: fmt.Sprintf("k%d", i%5), Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("note %d: %v", i, err)
		}
		last = res.Revision
	}
	killed := time.Now()
	l.Stop(syscall.SIGKILL)
	survivor := clustertest.Followers(nodes, l)[0]
	var gapRev uint64
	clustertest.WaitFor(t, "a write after the leader was killed", 30*time.Second, func() bool {
		res, err := survivor.Client.Note(ctx, transport.NoteRequest{ResourceID: "after", Text: "kill"})
		gapRev = res.Revision
		return err == nil
	})
	t.Logf("failover gap (kill -9 to next committed write): %s", time.Since(killed).Round(time.Millisecond))
	if gapRev <= last {
		t.Fatalf("revision went back: %d <= %d", gapRev, last)
	}
	sameAnswers(t, nodes, last)
	l.Start()
	clustertest.WaitFor(t, "the old leader to catch up", 30*time.Second, func() bool {
		st, ok := l.Status()
		return ok && st.AppliedIndex >= gapRev
	})
	sameAnswers(t, nodes, gapRev)
	w, err := l.Client.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindNote}, Consistency: transport.Stale})
	if err != nil || len(w.Records) != 21 { // the leader records of both terms aside
		t.Fatalf("restarted node holds %d notes (want 21), err %v", len(w.Records), err)
	}
}

func TestLateJoinerCatchesUpFromSnapshotAndLeave(t *testing.T) {
	bin := clustertest.Binary(t)
	// On boltdb: raft-wal v0.4.2 keeps serving entries compacted away
	// inside its last segment (its writer's index is not trimmed), so a
	// late joiner of a wal leader catches up from the log, not a snapshot.
	nodes, l := clustertest.StartCluster(t, bin, "--snapshot-threshold", "16", "--trailing-logs", "4", "--snapshot-interval", "200ms",
		"--raft-log-store", "boltdb")
	ctx := clustertest.Context(t, 90*time.Second)
	var last uint64
	for i := range 60 {
		res, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: fmt.Sprintf("k%d", i%7), Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("note %d: %v", i, err)
		}
		last = res.Revision
	}
	clustertest.WaitFor(t, "a snapshot on the leader", 30*time.Second, func() bool {
		entries, _ := os.ReadDir(filepath.Join(l.DataDir, "raft", "snapshots"))
		return len(entries) > 0
	})
	late := clustertest.NewNode(t, bin, "ovi-4", "--retry-join", nodes[0].GossipAddr())
	late.Start()
	nodes = append(nodes, late)
	clustertest.WaitFor(t, "the late joiner to become a voter and catch up", 30*time.Second, func() bool {
		st, ok := late.Status()
		return ok && len(st.Peers) == 4 && st.AppliedIndex >= last
	})
	sameAnswers(t, nodes, last)
	// The late joiner runs with the default threshold (8192), so a snapshot
	// in its store was installed from the leader, not taken by itself.
	if entries, _ := os.ReadDir(filepath.Join(late.DataDir, "raft", "snapshots")); len(entries) == 0 {
		b, _ := os.ReadFile(late.LogPath())
		t.Fatalf("late joiner did not install a snapshot; log:\n%s", clustertest.Tail(string(b), 2000))
	}
	if _, err := late.Client.Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	clustertest.WaitFor(t, "the leaver removed from the raft configuration", 30*time.Second, func() bool {
		p, err := l.Client.RaftPeers(ctx)
		return err == nil && len(p.Peers) == 3
	})
	clustertest.WaitFor(t, "the leaver to exit", 30*time.Second, func() bool { return !late.Running() })
}

func TestBadInput(t *testing.T) {
	bin := clustertest.Binary(t)
	a := clustertest.NewNode(t, bin, "solo", "--bootstrap-expect", "1")
	a.Start()
	clustertest.WaitFor(t, "solo leader", 20*time.Second, func() bool { st, ok := a.Status(); return ok && st.State == "Leader" })
	ctx := clustertest.Context(t, 60*time.Second)
	t.Run("join closed port", func(t *testing.T) {
		start := time.Now()
		_, err := a.Client.Join(ctx, fmt.Sprintf("127.0.0.1:%d", clustertest.FreePort(t)))
		if err == nil || !strings.Contains(err.Error(), "join") {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Fatalf("join to a closed port took %s", d)
		}
	})
	t.Run("join something else", func(t *testing.T) {
		start := time.Now()
		_, err := a.Client.Join(ctx, a.HTTPAddr())
		if err == nil {
			t.Fatal("join to an HTTP port succeeded")
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Fatalf("join to a non-gossip port took %s: %v", d, err)
		}
		t.Logf("join to an HTTP port: %v (%s)", err, time.Since(start).Round(time.Millisecond))
	})
	t.Run("duplicate node name", func(t *testing.T) {
		dup := clustertest.NewNode(t, bin, "solo", "--bootstrap-expect", "1", "--retry-join", a.GossipAddr())
		dup.Start()
		clustertest.WaitFor(t, "the duplicate to exit", 30*time.Second, func() bool { return !dup.Running() })
		var exitErr *exec.ExitError
		b, _ := os.ReadFile(dup.LogPath())
		if !errors.As(dup.ExitErr(), &exitErr) || !strings.Contains(string(b), "node name already in use") {
			t.Fatalf("duplicate: exit %v, log:\n%s", dup.ExitErr(), clustertest.Tail(string(b), 1500))
		}
	})
	t.Run("config errors", func(t *testing.T) {
		dir := t.TempDir()
		cases := map[string]string{"unknown key": "data_dir: /tmp/x\nretry_joins: []\n", "missing data_dir": "node_name: x\n"}
		for name, body := range cases {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "agent", "--config", p).CombinedOutput()
			msg := strings.TrimSpace(string(out))
			if err == nil || strings.Count(msg, "\n") != 0 {
				t.Fatalf("%s: err %v, output %q", name, err, msg)
			}
			if (name == "unknown key" && !strings.Contains(msg, `"retry_joins"`)) || (name == "missing data_dir" && !strings.Contains(msg, "data_dir")) {
				t.Fatalf("%s: output %q does not name the key", name, msg)
			}
		}
	})
}

func TestSigtermLeavesAndRestartRejoins(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	ctx := clustertest.Context(t, 90*time.Second)
	f := clustertest.Followers(nodes, l)[0]
	f.Stop(syscall.SIGTERM)
	if f.ExitErr() != nil {
		t.Fatalf("SIGTERM: exit %v", f.ExitErr())
	}
	clustertest.WaitFor(t, "the stopped follower removed from raft", 30*time.Second, func() bool {
		p, err := l.Client.RaftPeers(ctx)
		return err == nil && len(p.Peers) == 2
	})
	ms, err := l.Client.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms.Members {
		if m.Name == f.Name && m.Status != transport.MemberLeft {
			t.Fatalf("member %s status %q, want left", m.Name, m.Status)
		}
	}
	res, err := l.Client.Note(ctx, transport.NoteRequest{ResourceID: "while-away", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.Start()
	clustertest.WaitFor(t, "the restarted node back as a voter and caught up", 30*time.Second, func() bool {
		st, ok := f.Status()
		return ok && len(st.Peers) == 3 && st.AppliedIndex >= res.Revision
	})
	sameAnswers(t, nodes, res.Revision)
}

func TestSighupReloadsLogLevel(t *testing.T) {
	bin := clustertest.Binary(t)
	n := clustertest.NewNode(t, bin, "hup", "--bootstrap-expect", "1")
	cfgPath := filepath.Join(t.TempDir(), "ovi.yaml")
	write := func(level string) {
		body := fmt.Sprintf("data_dir: %s\nlog_level: %s\ninterval: 45s\n", n.DataDir, level)
		if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("info")
	n.Flags = append(n.Flags, "--config", cfgPath)
	n.Start()
	clustertest.WaitFor(t, "leader", 20*time.Second, func() bool { st, ok := n.Status(); return ok && st.State == "Leader" })
	write("debug")
	if err := n.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitFor(t, "the reload logged", 10*time.Second, func() bool {
		b, _ := os.ReadFile(n.LogPath())
		return strings.Contains(string(b), "configuration reloaded") && strings.Contains(string(b), "log_level=debug")
	})
	if !n.Running() {
		t.Fatal("SIGHUP stopped the agent")
	}
}
