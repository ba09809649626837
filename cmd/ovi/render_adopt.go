package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// adoptPlanDocument is the JSON form of an adoption plan.
type adoptPlanDocument struct {
	DryRun    bool         `json:"dry_run"`
	Decisions []wal.Record `json:"decisions"`
	Adopt     int          `json:"adopt"`
	Refused   int          `json:"not_adopted"`
}

// adoptCounts are the outcomes of an adoption.
type adoptCounts struct {
	Adopted int `json:"adopted"`
	Failed  int `json:"failed"`
}

// adoptDone is the JSON form's closing line.
type adoptDone struct {
	AdoptComplete adoptCounts `json:"adopt_complete"`
}

// renderAdoptPlan prints an adoption's plan: what is adopted with the tags
// Ovi writes, what is not and why (one line per attribute), and the
// counts; or its JSON document.
//
//	Adopt (Ovi writes only the tags shown; nothing else changes):
//	  ← i-0abc  ec2 t3.micro  Adopt into web: matches its spec (member 2 of 3)
//	                          writes ovi:decision=<the apply's decision id> ovi:group=web ovi:managed=true
//
//	Not adopted:
//	  ! i-0def  ec2 t3.small  Not adopted into web:
//	                            size differs (t3.small → t3.micro)
func renderAdoptPlan(w io.Writer, o renderOptions, plan []wal.Record, dryRun bool) error {
	adopt, refused := splitAdoptPlan(plan)
	if o.json() {
		doc := adoptPlanDocument{DryRun: dryRun, Decisions: plan, Adopt: len(adopt), Refused: len(refused)}
		if doc.Decisions == nil {
			doc.Decisions = []wal.Record{}
		}
		return writeJSONDocument(w, doc)
	}
	adopt, refused = terminalSafe(adopt), terminalSafe(refused)
	out := &errWriter{w: w}
	if dryRun {
		out.printf("Dry run: nothing will be changed.\n")
	}
	width := adoptTargetWidth(plan)
	if len(adopt) > 0 {
		out.printf("Adopt (Ovi writes only the tags shown; nothing else changes):\n")
		for _, rec := range adopt {
			writeAdoptLine(out, o, rec, width)
		}
		out.printf("\n")
	}
	if len(refused) > 0 {
		out.printf("Not adopted:\n")
		for _, rec := range refused {
			writeRefusedLine(out, o, rec, width)
		}
		out.printf("\n")
	}
	if len(plan) == 0 {
		out.printf("Nothing to adopt: no unmanaged resource is selected.\n")
	}
	out.printf("Adopt plan: %d to adopt, %d not adopted\n", len(adopt), len(refused))
	if !dryRun && len(adopt) > 0 {
		out.printf("\n")
	}
	return out.err
}

// splitAdoptPlan separates the adoptions from the refusals.
func splitAdoptPlan(plan []wal.Record) (adopt, refused []wal.Record) {
	for _, rec := range plan {
		if rec.Decided.Action == wal.ActionAdopt {
			adopt = append(adopt, rec)
		} else {
			refused = append(refused, rec)
		}
	}
	return adopt, refused
}

// adoptTarget is "i-0abc  ec2 t3.micro": the resource and what it is.
func adoptTarget(rec wal.Record) string {
	what := rec.Decided.ResourceKind.String()
	if rec.Decided.SizeText() != "" {
		what += " " + rec.Decided.SizeText()
	}
	return rec.ResourceID + "  " + what
}

func adoptTargetWidth(plan []wal.Record) int {
	n := 0
	for _, rec := range plan {
		n = max(n, len([]rune(adoptTarget(terminalSafe(rec)))))
	}
	return n
}

// writeAdoptLine prints an adoption and the tags it writes; the plan is
// always a dry run's, so its ovi:decision is the apply's, not yet known.
func writeAdoptLine(out *errWriter, o renderOptions, rec wal.Record, width int) {
	out.printf("  %s %s  %s\n", o.style.paint(colorCyan, "←"), padRight(adoptTarget(rec), width), rec.Decided.Reason)
	tags := rec.Decided.SetTags
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v := tags[k]
		if k == wal.TagDecision {
			v = "<the apply's decision id>"
		}
		parts = append(parts, k+"="+v)
	}
	out.printf("    %s  writes %s\n", strings.Repeat(" ", width), strings.Join(parts, " "))
}

func writeRefusedLine(out *errWriter, o renderOptions, rec wal.Record, width int) {
	head, rest, found := strings.Cut(rec.Decided.Reason, ": ")
	if !found {
		head, rest = rec.Decided.Reason, ""
	}
	out.printf("  %s %s  %s:\n", o.style.paint(colorMagenta, "!"), padRight(adoptTarget(rec), width), head)
	for _, why := range strings.Split(rest, "; ") {
		if why != "" {
			out.printf("    %s    %s\n", strings.Repeat(" ", width), why)
		}
	}
}

// adoptTotals counts the outcomes of an adoption's apply.
func adoptTotals(p *applyProgress) adoptCounts {
	var c adoptCounts
	for _, id := range p.order {
		rec := p.outcome[id]
		switch {
		case rec.Executed != nil && rec.Executed.Action == wal.ActionAdopt:
			c.Adopted++
		case rec.Failed != nil:
			c.Failed++
		}
	}
	return c
}

// writeAdoptDone prints "Adopt complete: 2 adopted, 0 failed" (or JSON).
func writeAdoptDone(w io.Writer, o renderOptions, c adoptCounts) error {
	if o.json() {
		return writeJSONLine(w, adoptDone{AdoptComplete: c})
	}
	_, err := fmt.Fprintf(w, "Adopt complete: %d adopted, %d failed\n", c.Adopted, c.Failed)
	return err
}

// adoptHint is one unmanaged resource of a reconcile plan that matches a
// desired unit, with the command that adopts it.
type adoptHint struct {
	ResourceID string           `json:"resource_id"`
	Kind       wal.ResourceKind `json:"resource_kind"`
	Into       string           `json:"into"`
	Command    string           `json:"command"`
}

// adoptHints lists the plan's adoptable resources, in plan order.
func adoptHints(decided []wal.Record) []adoptHint {
	hints := []adoptHint{}
	for _, rec := range decided {
		d := rec.Decided
		if d == nil || d.Action != wal.ActionReport || d.Adoptable == "" || rec.ResourceID == "" {
			continue
		}
		hints = append(hints, adoptHint{ResourceID: rec.ResourceID, Kind: d.ResourceKind, Into: d.Adoptable,
			Command: "ovi adopt " + rec.ResourceID + " --into " + d.Adoptable})
	}
	return hints
}

// writeAdoptable prints the plan's "Adoptable" section, one line per
// resource with the command to run (nothing when none is).
func writeAdoptable(out *errWriter, o renderOptions, decided []wal.Record) {
	hints := adoptHints(decided)
	if len(hints) == 0 {
		return
	}
	width := 0
	for _, h := range hints {
		width = max(width, len([]rune(h.ResourceID)))
	}
	out.printf("Adoptable (unmanaged, matching a desired unit; Ovi adopts nothing by itself):\n")
	for _, h := range hints {
		out.printf("  %s %s  %s\n", o.style.paint(colorCyan, "←"), padRight(h.ResourceID, width), h.Command)
	}
	out.printf("\n")
}
