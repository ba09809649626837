package main

import (
	"fmt"
	"io"

	"github.com/yairfalse/ovi/wal"
)

// diffView is what changed between two revisions, one entry per key.
type diffView struct {
	From    uint64      `json:"from"`
	To      uint64      `json:"to"`
	Changes []keyChange `json:"changes"`
}

// keyChange is one key's value before and after; nil means absent.
type keyChange struct {
	Key    string      `json:"key"`
	Before *wal.Record `json:"before"`
	After  *wal.Record `json:"after"`
}

// renderDiff prints `ovi state diff --from N --to M`, one line per key:
// "+" added, "-" removed, "~" changed (with what changed).
//
//	Revision 50 → 61: 1 added, 1 removed, 2 changed
//	+ resources/i-0ggg000000000007  pending · t3.micro · team=platform
//	- resources/i-0ddd000000000004  running · t3.micro
//	~ resources/i-0aaa000000000001  state pending → running
func renderDiff(w io.Writer, o renderOptions, d diffView) error {
	if o.json() {
		if d.Changes == nil {
			d.Changes = []keyChange{}
		}
		return writeJSONDocument(w, d)
	}
	d = terminalSafe(d)
	added, removed, changed := 0, 0, 0
	for _, c := range d.Changes {
		switch {
		case c.Before == nil:
			added++
		case c.After == nil:
			removed++
		default:
			changed++
		}
	}
	out := &errWriter{w: w}
	to := "current"
	if d.To > 0 {
		to = fmt.Sprint(d.To)
	}
	out.printf("Revision %d → %s: %d added, %d removed, %d changed\n", d.From, to, added, removed, changed)
	if out.err != nil || len(d.Changes) == 0 {
		return out.err
	}
	t := newTable(w)
	for _, c := range d.Changes {
		symbol, color, text := diffLine(c)
		t.row(o.style.paint(color, symbol)+" "+c.Key, text)
	}
	return t.flush()
}

// diffLine is the mark, its colour and the description of one change.
func diffLine(c keyChange) (string, string, string) {
	switch {
	case c.Before == nil:
		return "+", colorGreen, recordValue(c.After)
	case c.After == nil:
		return "-", colorRed, recordValue(c.Before)
	}
	if c.Before.Observed != nil && c.After.Observed != nil {
		if changes := resourceChanges(c.Before.Observed.Resource, c.After.Observed.Resource); len(changes) > 0 {
			return "~", colorYellow, joinChanges(changes)
		}
		return "~", colorYellow, "re-observed, unchanged"
	}
	return "~", colorYellow, fmt.Sprintf("%s → %s", recordValue(c.Before), recordValue(c.After))
}
