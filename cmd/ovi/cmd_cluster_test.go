package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
)

func TestMembersAndRaftPeersAgainstAnAgent(t *testing.T) {
	ta := startTestAgent(t, nil)
	code, stdout, stderr := ta.run("members")
	if code != exitOK {
		t.Fatalf("members: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "ovi-test") ||
		!strings.Contains(lines[1], "alive") || !strings.Contains(lines[1], "leader") {
		t.Fatalf("members table:\n%s", stdout)
	}
	_, stdout, _ = ta.run("-o", "json", "members")
	var doc transport.MembersResponse
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Members) != 1 || !doc.Members[0].Voter {
		t.Fatalf("members JSON: %v\n%s", err, stdout)
	}

	code, stdout, stderr = ta.run("operator", "raft", "list-peers")
	if code != exitOK || !strings.Contains(stdout, "ovi-test") || !strings.Contains(stdout, "leader  true") {
		t.Fatalf("list-peers: %d %q %q", code, stdout, stderr)
	}
	_, stdout, _ = ta.run("-o", "json", "operator", "raft", "list-peers")
	var peers transport.RaftPeersResponse
	if err := json.Unmarshal([]byte(stdout), &peers); err != nil || len(peers.Peers) != 1 || !peers.Peers[0].Leader {
		t.Fatalf("list-peers JSON: %v\n%s", err, stdout)
	}
}

func TestClusterCommandUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"join"}, "ovi: join: no address given\nhint: name a member's gossip address, e.g. ovi join 10.0.0.1:7402\n"},
		{[]string{"operator", "raft", "remove-peer"}, "ovi: remove-peer: give exactly one of --id and --peer-address\n"},
		{[]string{"operator", "raft", "remove-peer", "--id", "a", "--peer-address", "b:1"}, "ovi: remove-peer: give exactly one of --id and --peer-address\n"},
		{[]string{"snapshot", "save"}, "ovi: snapshot save: want exactly one FILE\n"},
		{[]string{"snapshot", "inspect", "a", "b"}, "ovi: snapshot inspect: want exactly one FILE\n"},
	} {
		code, _, stderr := runCLI(t, append([]string{"--address", "127.0.0.1:1"}, tc.args...)...)
		if code != exitFailure || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("ovi %v: %d %q, want prefix %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestSnapshotSaveInspectRestore(t *testing.T) {
	ta := startTestAgent(t, nil)
	ta.proposeEntries(cycleFixture())
	path := filepath.Join(t.TempDir(), "backup.snap")

	code, stdout, stderr := ta.run("snapshot", "save", path)
	if code != exitOK || !strings.HasPrefix(stdout, "Saved snapshot to "+path) {
		t.Fatalf("snapshot save: %d %q %q", code, stdout, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("snapshot save left temporary files: %v", entries)
	}

	code, stdout, stderr = runCLI(t, "-o", "json", "snapshot", "inspect", path)
	var info snapshotInfo
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || code != exitOK {
		t.Fatalf("snapshot inspect (%d, %q): %v\n%s", code, stderr, err, stdout)
	}
	if info.Revision == 0 || info.Resources != 2 || info.Records < uint64(len(cycleFixture())) ||
		info.Config != "sha256:abcd1234 (infrastructure.yaml)" || len(info.SHA256) != 64 {
		t.Fatalf("snapshot info = %+v", info)
	}
	_, stdout, _ = runCLI(t, "snapshot", "inspect", path)
	if !strings.Contains(stdout, "Keys") || !strings.Contains(stdout, "(2 resources)") {
		t.Fatalf("snapshot inspect table:\n%s", stdout)
	}

	code, stdout, stderr = ta.run("snapshot", "restore", path)
	if code != exitOK || !strings.HasPrefix(stdout, "Restored "+path+"; the cluster is at revision ") {
		t.Fatalf("snapshot restore: %d %q %q", code, stdout, stderr)
	}
}

func TestSnapshotInspectRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.snap")
	if err := os.WriteFile(path, []byte("not a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "snapshot", "inspect", path)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if code != exitFailure || len(lines) != 2 || !strings.HasPrefix(lines[0], "ovi: inspect "+path+": ") ||
		lines[1] != "hint: is it a file written by 'ovi snapshot save'?" {
		t.Fatalf("garbage snapshot: %d %q", code, stderr)
	}
}

func TestUnreachableAddressFailsFastWithOneLine(t *testing.T) {
	start := time.Now()
	code, stdout, stderr := runCLI(t, "--address", "127.0.0.1:1", "members")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("unreachable address took %s", elapsed)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if code != exitFailure || stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "ovi: list members: ") ||
		!strings.HasPrefix(lines[1], "hint: no agent answers at http://127.0.0.1:1") {
		t.Fatalf("unreachable: %d %q", code, stderr)
	}
}

func TestLeaveStopsTheAgent(t *testing.T) {
	ta := startTestAgent(t, nil)
	code, stdout, stderr := ta.run("leave")
	if code != exitOK || stdout != "Node ovi-test left the cluster.\n" || stderr != "" {
		t.Fatalf("leave: %d %q %q", code, stdout, stderr)
	}
	select {
	case <-ta.agent.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not shut down after leave")
	}
}

func TestJoinReportsTheAgentsAnswer(t *testing.T) {
	ta := startTestAgent(t, nil)
	code, stdout, stderr := ta.run("join", ta.agent.GossipAddr())
	if code != exitOK || stdout != "Joined through 1 of 1 address(es).\n" {
		t.Fatalf("join self: %d %q %q", code, stdout, stderr)
	}
}
