package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/yairfalse/ovi/transport"
)

// compactStage is where a compaction's output comes from.
type compactStage int

const (
	compactDryRun   compactStage = iota // a plan only (or nothing to do)
	compactApplied                      // committed without asking (--auto-approve): plan and result
	compactApproved                     // committed after the prompt showed the plan: the result only
)

// renderCompact prints a compaction's answer: JSON as one document, else
// the plan (unless the prompt showed it) and what happened.
func renderCompact(w io.Writer, o renderOptions, resp transport.CompactResponse, stage compactStage) error {
	if o.json() {
		return writeJSONDocument(w, resp)
	}
	p := terminalSafe(resp.Plan)
	if p.Nothing() {
		_, err := fmt.Fprintf(w, "Nothing to compact (%s): %s.\n", p.Policy, keptNow(&p))
		return err
	}
	if stage != compactApproved {
		if err := renderCompactPlan(w, o, &p); err != nil {
			return err
		}
	}
	freed := humanBytes(p.Dropped.KVBytes + p.Dropped.AuditBytes)
	var err error
	switch stage {
	case compactDryRun:
		_, err = fmt.Fprintf(w, "\nDry run: nothing was dropped. About %s would be freed; run without --dry-run to compact.\n", freed)
	default:
		_, err = fmt.Fprintf(w, "\nCompacted in revision %d: about %s freed (the store reuses the pages; its file does not shrink).\n",
			resp.Revision, freed)
	}
	return err
}

// keptNow says what is kept already when a plan drops nothing.
func keptNow(p *transport.CompactPlan) string {
	s := "key history is kept from revision " + fmt.Sprint(max(p.Compacted, 1))
	if p.AuditCompacted > 0 {
		return s + fmt.Sprintf(", audit records from revision %d", p.AuditCompacted)
	}
	return s + ", the audit log whole"
}

// renderCompactPlan prints what goes and what stays:
//
//	Compaction plan (keep 30d) at revision 5012
//	History as of 2026-11-05 10:00:00 UTC stays readable.
//
//	               GOES                              STAYS
//	key history    revisions 1–1202                  revisions 1203–5012
//	  versions     1850 (120 keys left with none)    3162 of 190 keys
//	  size         412.3 KiB                         702.0 KiB
//	audit log      nothing (kept whole)              9871 records from 2026-10-01 08:00:00 UTC
//	  size         -                                 3.1 MiB
func renderCompactPlan(w io.Writer, o renderOptions, p *transport.CompactPlan) error {
	out := &errWriter{w: w}
	out.printf("Compaction plan (%s) at revision %d\n", p.Policy, p.Current)
	if !p.Cutoff.IsZero() {
		out.printf("History as of %s stays readable.\n", p.Cutoff.In(o.location()).Format(stateTimeLayout))
	}
	for _, h := range p.Held {
		out.printf("Held back: a read in flight on %s still needs revision %d (reads hold compaction back for up to retention.read_grace).\n", h.Node, h.Revision)
	}
	out.printf("\n")
	if out.err != nil {
		return out.err
	}
	t := newTable(w)
	t.row("", "GOES", "STAYS")
	t.row("key history", revisionRange(max(p.Compacted, 1), p.Revision-1), revisionRange(max(p.Revision, 1), p.Current))
	t.row("  versions", fmt.Sprintf("%d (%s left with none)", p.Dropped.Versions, plural(p.Dropped.Keys, "key")),
		fmt.Sprintf("%d of %s", p.Kept.Versions, plural(p.Kept.Keys, "key")))
	t.row("  size", humanBytes(p.Dropped.KVBytes), humanBytes(p.Kept.KVBytes))
	t.row("audit log", auditGoes(p), auditStays(p, o))
	t.row("  size", dashIfZero(p.Dropped.AuditBytes), humanBytes(p.Kept.AuditBytes))
	return t.flush()
}

// revisionRange is "revisions 1–1202", or "nothing" for an empty range.
func revisionRange(from, to uint64) string {
	switch {
	case to < from || to == 0:
		return "nothing"
	case from == to:
		return fmt.Sprintf("revision %d", from)
	}
	return fmt.Sprintf("revisions %d–%d", from, to)
}

// auditGoes says which audit records go.
func auditGoes(p *transport.CompactPlan) string {
	switch {
	case p.Dropped.Records > 0:
		return fmt.Sprintf("%s before revision %d", plural(p.Dropped.Records, "record"), p.Audit)
	case p.Audit == 0:
		return "nothing (kept whole)"
	}
	return "nothing"
}

// auditStays says which audit records stay.
func auditStays(p *transport.CompactPlan, o renderOptions) string {
	s := plural(p.Kept.Records, "record")
	if !p.OldestKept.IsZero() {
		s += " from " + p.OldestKept.In(o.location()).Format(stateTimeLayout)
	}
	return s
}

// dashIfZero is humanBytes, or "-" for nothing.
func dashIfZero(n int64) string {
	if n == 0 {
		return "-"
	}
	return humanBytes(n)
}

// humanBytes is a size in B, KiB, MiB or GiB with one decimal.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), "B"
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + suffix
}
