package main

import (
	"fmt"
	"io"

	"github.com/yairfalse/ovi/wal"
)

// historyView is every retained version of one key, oldest first.
type historyView struct {
	Key      string           `json:"key"`
	Versions []historyVersion `json:"versions"`
}

// historyVersion is one version of a key; a deletion has no record.
type historyVersion struct {
	Revision revision    `json:"revision"`
	Version  int64       `json:"version"`
	Deleted  bool        `json:"deleted,omitempty"`
	Record   *wal.Record `json:"record,omitempty"`
}

// renderHistory prints `ovi state history ID`:
//
//	History of resources/i-0aaa000000000001 (3 versions)
//	REVISION  TIME                     CHANGE   VALUE
//	51        2026-11-25 10:30:01 UTC  new      pending · t3.micro · team=web
func renderHistory(w io.Writer, o renderOptions, h historyView) error {
	if o.json() {
		if h.Versions == nil {
			h.Versions = []historyVersion{}
		}
		return writeJSONDocument(w, h)
	}
	h = terminalSafe(h)
	out := &errWriter{w: w}
	out.printf("History of %s (%s)\n", h.Key, plural(len(h.Versions), "version"))
	if out.err != nil || len(h.Versions) == 0 {
		return out.err
	}
	t := newTable(w)
	t.row("REVISION", "TIME", "CHANGE", "VALUE")
	for _, v := range h.Versions {
		when, change, value := "-", "deleted", "-"
		if v.Record != nil {
			when = v.Record.Time.In(o.location()).Format(stateTimeLayout)
			change, value = recordChange(v.Record), recordValue(v.Record)
		}
		t.row(v.Revision.String(), when, change, value)
	}
	return t.flush()
}

// recordChange names how a stored record changed its key: the observation
// change ("new", "updated", "gone") or the record kind.
func recordChange(rec *wal.Record) string {
	if rec.Observed != nil {
		return rec.Observed.Change.String()
	}
	return rec.Kind.String()
}

// recordValue summarises a stored record: a resource's state, size and
// tags; a configuration's digest and source; otherwise its description.
func recordValue(rec *wal.Record) string {
	switch {
	case rec == nil:
		return "-"
	case rec.Observed != nil:
		return resourceSummary(rec.Observed.Resource)
	case rec.Config != nil:
		return fmt.Sprintf("%s · %d groups", configRef(rec.Config), len(rec.Config.Config.Groups))
	}
	return rec.Describe()
}
