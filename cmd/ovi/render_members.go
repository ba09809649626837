package main

import (
	"fmt"
	"io"
)

// memberView is one node known through gossip, with its Raft role (the
// agent API's member, as the CLI shows it).
type memberView struct {
	Name       string `json:"name"`
	GossipAddr string `json:"gossip_addr"`
	RaftAddr   string `json:"raft_addr"`
	HTTPAddr   string `json:"http_addr"`
	Version    string `json:"version,omitempty"`
	Status     string `json:"status"`    // alive, suspect, failed, left
	RaftRole   string `json:"raft_role"` // leader, follower, or "" when not a Raft server
	Voter      bool   `json:"voter"`
}

// membersDocument is the JSON form of `ovi members`.
type membersDocument struct {
	Members []memberView `json:"members"`
}

// renderMembers prints `ovi members`: one node a row, STATUS coloured.
func renderMembers(w io.Writer, o renderOptions, members []memberView) error {
	if o.json() {
		if members == nil {
			members = []memberView{}
		}
		return writeJSONDocument(w, membersDocument{Members: members})
	}
	t := newTable(w)
	t.row("NAME", "GOSSIP", "RAFT", "HTTP", o.style.paint(colorDefault, "STATUS"), "ROLE", "VOTER", "VERSION")
	for _, m := range members {
		t.row(m.Name, orDash(m.GossipAddr), orDash(m.RaftAddr), orDash(m.HTTPAddr),
			o.style.paint(memberStatusColor(m.Status), orDash(m.Status)), orDash(m.RaftRole), yesNo(m.Voter), orDash(m.Version))
	}
	return t.flush()
}

// memberStatusColor is the colour of a gossip status.
func memberStatusColor(status string) string {
	switch status {
	case "alive":
		return colorGreen
	case "suspect":
		return colorYellow
	case "failed":
		return colorRed
	}
	return colorGrey
}

// raftPeerView is one server of the Raft configuration.
type raftPeerView struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"` // voter, nonvoter, staging
	Leader   bool   `json:"leader"`
}

// raftPeersDocument is the JSON form of `ovi operator raft list-peers`.
type raftPeersDocument struct {
	Index uint64         `json:"index"` // the configuration's Raft index
	Peers []raftPeerView `json:"peers"`
}

// renderRaftPeers prints `ovi operator raft list-peers`, Consul-style:
//
//	NODE   ADDRESS         STATE     VOTER
//	ovi-1  10.0.0.1:7401   leader    true
func renderRaftPeers(w io.Writer, o renderOptions, doc raftPeersDocument) error {
	if o.json() {
		if doc.Peers == nil {
			doc.Peers = []raftPeerView{}
		}
		return writeJSONDocument(w, doc)
	}
	t := newTable(w)
	t.row("NODE", "ADDRESS", "STATE", "VOTER")
	for _, p := range doc.Peers {
		state := "follower"
		if p.Leader {
			state = "leader"
		}
		voter := fmt.Sprint(p.Suffrage == "voter")
		if p.Suffrage != "" && p.Suffrage != "voter" {
			voter += " (" + p.Suffrage + ")"
		}
		t.row(p.ID, orDash(p.Address), state, voter)
	}
	return t.flush()
}
