package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/yairfalse/ovi/transport"
)

func membersFixture() []transport.Member {
	return []transport.Member{
		{Name: "ovi-1", GossipAddr: "10.0.0.1:7402", RaftAddr: "10.0.0.1:7401", HTTPAddr: "10.0.0.1:7400", Version: "0.1.0",
			Status: "alive", RaftRole: "leader", Voter: true},
		{Name: "ovi-2", GossipAddr: "10.0.0.2:7402", RaftAddr: "10.0.0.2:7401", HTTPAddr: "10.0.0.2:7400", Version: "0.1.0",
			Status: "suspect", RaftRole: "follower", Voter: true},
		{Name: "ovi-3", GossipAddr: "10.0.0.3:7402", RaftAddr: "10.0.0.3:7401", HTTPAddr: "10.0.0.3:7400", Version: "0.1.0",
			Status: "left"},
	}
}

func peersFixture() transport.RaftPeersResponse {
	return transport.RaftPeersResponse{Index: 17, Peers: []transport.RaftPeer{
		{ID: "ovi-1", Address: "10.0.0.1:7401", Suffrage: "voter", Leader: true},
		{ID: "ovi-2", Address: "10.0.0.2:7401", Suffrage: "voter"},
		{ID: "ovi-4", Address: "10.0.0.4:7401", Suffrage: "staging"},
	}}
}

func TestGoldenMembersTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderMembers(&out, tableOptions(), membersFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "members_table", out.Bytes())
}

func TestGoldenMembersJSON(t *testing.T) {
	var out bytes.Buffer
	if err := renderMembers(&out, jsonOptions(), membersFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "members_json", out.Bytes())
	var got transport.MembersResponse
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("members JSON does not parse: %v", err)
	}
	if !reflect.DeepEqual(got.Members, membersFixture()) {
		t.Fatalf("members JSON does not round-trip: %+v", got)
	}
}

func TestMembersColourKeepsColumnsAligned(t *testing.T) {
	o := tableOptions()
	o.style = style{color: true}
	var coloured, plain bytes.Buffer
	if err := renderMembers(&coloured, o, membersFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	if err := renderMembers(&plain, tableOptions(), membersFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	if stripANSI(coloured.String()) != plain.String() {
		t.Fatalf("coloured members misaligned:\n%s\nplain:\n%s", stripANSI(coloured.String()), plain.String())
	}
}

func TestGoldenRaftPeersTable(t *testing.T) {
	var out bytes.Buffer
	if err := renderRaftPeers(&out, tableOptions(), peersFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "raft_peers_table", out.Bytes())
}

func TestGoldenRaftPeersJSON(t *testing.T) {
	var out bytes.Buffer
	if err := renderRaftPeers(&out, jsonOptions(), peersFixture()); err != nil {
		t.Fatalf("render: %v", err)
	}
	assertGolden(t, "raft_peers_json", out.Bytes())
	assertRoundTrip(t, "peers", out.Bytes(), peersFixture())
}
