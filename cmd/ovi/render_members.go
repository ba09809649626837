package main

import (
	"fmt"
	"io"

	"github.com/yairfalse/ovi/transport"
)

// renderMembers prints `ovi members`: one node a row, STATUS coloured.
func renderMembers(w io.Writer, o renderOptions, members []transport.Member) error {
	if o.json() {
		if members == nil {
			members = []transport.Member{}
		}
		return writeJSONDocument(w, transport.MembersResponse{Members: members})
	}
	members = terminalSafe(members)
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

// renderRaftPeers prints `ovi operator raft list-peers`, Consul-style:
//
//	NODE   ADDRESS         STATE     VOTER
//	ovi-1  10.0.0.1:7401   leader    true
func renderRaftPeers(w io.Writer, o renderOptions, doc transport.RaftPeersResponse) error {
	if o.json() {
		if doc.Peers == nil {
			doc.Peers = []transport.RaftPeer{}
		}
		return writeJSONDocument(w, doc)
	}
	doc = terminalSafe(doc)
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
