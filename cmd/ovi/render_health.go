package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// renderOperatorHealth prints `ovi operator health`, the shape of
// Consul's autopilot health: the cluster's verdict and failure tolerance,
// then one server a row, then why each unhealthy server is:
//
//	Healthy: yes   Failure tolerance: 1   Leader: ovi-1
//
//	NODE   ADDRESS        GOSSIP  ROLE      VOTER  HEALTHY  LAST CONTACT  TERM  LAST INDEX  APPLIED  VERSION
//	ovi-1  10.0.0.1:7401  alive   leader    yes    yes      -             3     120         120      0.1.0
func renderOperatorHealth(w io.Writer, o renderOptions, doc transport.OperatorHealthResponse) error {
	if o.json() {
		if doc.Servers == nil {
			doc.Servers = []transport.ServerHealth{}
		}
		return writeJSONDocument(w, doc)
	}
	doc = terminalSafe(doc)
	verdict := o.style.paint(colorGreen, "yes")
	if !doc.Healthy {
		verdict = o.style.paint(colorRed, "no")
	}
	if _, err := fmt.Fprintf(w, "Healthy: %s   Failure tolerance: %d   Leader: %s\n\n", verdict, doc.FailureTolerance, orDash(doc.Leader)); err != nil {
		return err
	}
	t := newTable(w)
	t.row("NODE", "ADDRESS", o.style.paint(colorDefault, "GOSSIP"), "ROLE", "VOTER", o.style.paint(colorDefault, "HEALTHY"),
		"LAST CONTACT", "TERM", "LAST INDEX", "APPLIED", "VERSION")
	for _, s := range doc.Servers {
		role, health := "follower", o.style.paint(colorGreen, "yes")
		if s.Leader {
			role = "leader"
		}
		if !s.Healthy {
			health = o.style.paint(colorRed, "no")
		}
		t.row(s.Name, orDash(s.Address), o.style.paint(memberStatusColor(s.SerfStatus), orDash(s.SerfStatus)), role, yesNo(s.Voter),
			health, lastContact(s), strconv.FormatUint(s.LastTerm, 10), strconv.FormatUint(s.LastIndex, 10),
			strconv.FormatUint(s.Applied, 10), orDash(s.Version))
	}
	if err := t.flush(); err != nil {
		return err
	}
	return renderFailing(w, doc.Servers)
}

// lastContact shows how long ago a follower heard from the leader.
func lastContact(s transport.ServerHealth) string {
	switch {
	case s.Leader || s.LastContact == 0:
		return "-"
	case s.LastContact < 0:
		return "never"
	}
	return (time.Duration(s.LastContact * float64(time.Second))).Round(time.Millisecond).String()
}

// renderFailing lists why each unhealthy server is.
func renderFailing(w io.Writer, servers []transport.ServerHealth) error {
	first := true
	for _, s := range servers {
		for _, f := range s.Failing {
			if first {
				if _, err := fmt.Fprintln(w); err != nil {
					return err
				}
				first = false
			}
			if _, err := fmt.Fprintf(w, "%s: %s\n", s.Name, f); err != nil {
				return err
			}
		}
	}
	return nil
}
