package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// planCounts is the plan's summary line, counted from its decisions.
// Create counts instances; the others count decisions.
type planCounts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Protected int `json:"protected"`
	Unmanaged int `json:"unmanaged"`
	Held      int `json:"held"`
}

// Changes is the number of changes the plan makes to the cloud.
func (c planCounts) Changes() int { return c.Create + c.Update + c.Delete }

// Outstanding is what --detailed-exitcode reports (exit 2 when > 0): the
// changes, plus every refusal (protected) and hold — each a way the cloud
// does not match the configuration yet. As Terraform's plan exits 2 for a
// non-empty diff, Ovi's does for anything but "the cloud matches"; the
// unmanaged resources it only reports do not count.
func (c planCounts) Outstanding() int { return c.Changes() + c.Protected + c.Held }

// String is the summary line: "Plan: 2 to create, 1 to update, 0 to
// delete, 1 protected, 3 unmanaged", plus ", N held" when N > 0.
func (c planCounts) String() string {
	s := fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d protected, %d unmanaged",
		c.Create, c.Update, c.Delete, c.Protected, c.Unmanaged)
	if c.Held > 0 {
		s += fmt.Sprintf(", %d held", c.Held)
	}
	return s
}

// countPlan counts the decided records of a plan.
func countPlan(decided []wal.Record) planCounts {
	var c planCounts
	for _, rec := range decided {
		if rec.Decided == nil {
			continue
		}
		switch rec.Decided.Action {
		case wal.ActionCreate:
			c.Create += max(rec.Decided.Count, 1)
		case wal.ActionUpdateTags, wal.ActionResize, wal.ActionStart, wal.ActionAuthorize, wal.ActionRevoke,
			wal.ActionModify, wal.ActionAttach, wal.ActionDetach, wal.ActionProtect:
			c.Update++
		case wal.ActionDelete:
			c.Delete++
		case wal.ActionRefuse:
			c.Protected++
		case wal.ActionReport:
			c.Unmanaged++
		case wal.ActionHold:
			c.Held++
		}
	}
	return c
}

// planDocument is the JSON form of a plan.
type planDocument struct {
	DryRun    bool         `json:"dry_run"`
	Decisions []wal.Record `json:"decisions"`
	Counts    planCounts   `json:"counts"`
	Changes   int          `json:"changes"`
	// Outstanding is changes + protected + held: --detailed-exitcode exits 2 when > 0.
	Outstanding int               `json:"outstanding"`
	Cycle       *wal.CycleSummary `json:"cycle,omitempty"`
	// Adoptable lists the unmanaged resources that match a desired unit,
	// each with the ovi adopt command that takes it over.
	Adoptable []adoptHint `json:"adoptable"`
}

// renderPlan prints a cycle's decisions grouped by drift, Terraform-style,
// then the summary line; summary (the cycle's summary record) may be nil.
// It returns the counts so the caller can choose the exit code.
func renderPlan(w io.Writer, o renderOptions, decided []wal.Record, summary *wal.CycleSummary) (planCounts, error) {
	counts := countPlan(decided)
	if o.json() {
		doc := planDocument{Decisions: decided, Counts: counts, Changes: counts.Changes(), Outstanding: counts.Outstanding(), Cycle: summary,
			Adoptable: adoptHints(decided)}
		if doc.Decisions == nil {
			doc.Decisions = []wal.Record{}
		}
		doc.DryRun = summary != nil && summary.DryRun
		return counts, writeJSONDocument(w, doc)
	}
	decided, summary = terminalSafe(decided), terminalSafe(summary)
	out := &errWriter{w: w}
	writePlanHeader(out, summary)
	lines := planLinesByDrift(decided)
	targetWidth, detailWidth := planColumnWidths(lines)
	for _, section := range lines {
		out.printf("%s\n", section.title)
		for _, l := range section.lines {
			out.printf("  %s %s  %s  %s\n", o.style.paint(l.color, l.symbol),
				padRight(l.target, targetWidth), padRight(l.detail, detailWidth), l.reason)
		}
		out.printf("\n")
	}
	writeAdoptable(out, o, decided)
	switch {
	case counts.Outstanding() == 0:
		out.printf("No changes: the cloud matches the configuration.\n")
	case counts.Changes() == 0:
		out.printf("Nothing to change this cycle, but the cloud does not match the configuration yet (%s).\n", notYet(counts))
	}
	out.printf("%s\n", counts)
	if summary != nil {
		writeBudget(out, summary.Budget)
	}
	return counts, out.err
}

// notYet says why a plan without changes is not converged: "1 held,
// 2 protected".
func notYet(c planCounts) string {
	var parts []string
	if c.Held > 0 {
		parts = append(parts, fmt.Sprintf("%d held", c.Held))
	}
	if c.Protected > 0 {
		parts = append(parts, fmt.Sprintf("%d protected", c.Protected))
	}
	return strings.Join(parts, ", ")
}

// writePlanHeader prints what the cycle observed, and whether it is a
// dry run.
func writePlanHeader(out *errWriter, s *wal.CycleSummary) {
	if s == nil {
		return
	}
	if s.DryRun {
		out.printf("Dry run: nothing will be changed.\n")
	}
	out.printf("Observed %d resources: %d in sync, %d drifted, %d unwanted, %d unmanaged; %d missing.\n\n",
		s.Observed, s.InSync, s.Drifted, s.Unwanted, s.Unmanaged, s.Missing)
}

// planLine is one decision as the table shows it.
type planLine struct {
	symbol, color, target, detail, reason string
}

// planSection is one drift kind with its decisions.
type planSection struct {
	title string
	lines []planLine
}

// planLinesByDrift groups decisions by drift kind, in a fixed order
// (missing, drifted, unwanted, unmanaged, then any other), keeping the
// decisions' order inside a group.
func planLinesByDrift(decided []wal.Record) []planSection {
	order := []wal.Drift{wal.DriftMissing, wal.DriftDrifted, wal.DriftUnwanted, wal.DriftUnmanaged, wal.DriftInSync}
	groups := make(map[wal.Drift][]planLine)
	for _, rec := range decided {
		if rec.Decided == nil {
			continue
		}
		d := rec.Decided.Drift
		if !slices.Contains(order, d) {
			order = append(order, d)
		}
		groups[d] = append(groups[d], newPlanLine(rec))
	}
	var sections []planSection
	for _, d := range order {
		if len(groups[d]) > 0 {
			sections = append(sections, planSection{title: driftTitle(d), lines: groups[d]})
		}
	}
	return sections
}

// driftTitle is a plan section's heading.
func driftTitle(d wal.Drift) string {
	switch d {
	case wal.DriftMissing:
		return "Missing (in the configuration, not in the cloud):"
	case wal.DriftDrifted:
		return "Drifted (differs from the configuration):"
	case wal.DriftUnwanted:
		return "Unwanted (managed by Ovi, no longer in the configuration):"
	case wal.DriftUnmanaged:
		return "Unmanaged (not launched by Ovi; reported, never touched):"
	case wal.DriftInSync:
		return "In sync:"
	}
	return d.String() + ":"
}

// newPlanLine describes one decided record.
func newPlanLine(rec wal.Record) planLine {
	d := rec.Decided
	symbol, color := actionSymbol(d.Action)
	return planLine{symbol: symbol, color: color, target: planTarget(rec), detail: planDetail(d), reason: d.Reason}
}

// actionSymbol is the plan's mark for an action and its colour.
func actionSymbol(a wal.Action) (string, string) {
	switch a {
	case wal.ActionCreate:
		return "+", colorGreen
	case wal.ActionDelete:
		return "-", colorRed
	case wal.ActionUpdateTags, wal.ActionResize, wal.ActionStart, wal.ActionAuthorize, wal.ActionRevoke,
		wal.ActionModify, wal.ActionAttach, wal.ActionDetach, wal.ActionProtect:
		return "~", colorYellow
	case wal.ActionRefuse:
		return "!", colorMagenta
	case wal.ActionHold:
		return "…", colorBlue
	case wal.ActionReport:
		return "?", colorGrey
	}
	return " ", colorDefault
}

// planTarget names what a decision acts on: "i-0abc (web)", "i-0abc",
// or the group for a create.
func planTarget(rec wal.Record) string {
	group := rec.Decided.Group
	switch {
	case rec.ResourceID != "" && group != "":
		return rec.ResourceID + " (" + group + ")"
	case rec.ResourceID != "":
		return rec.ResourceID
	case group != "":
		return group
	}
	return "-"
}

// planDetail says what exactly the action changes.
func planDetail(d *wal.Decided) string {
	switch d.Action {
	case wal.ActionCreate:
		return fmt.Sprintf("create %d × %s", max(d.Count, 1), d.SizeText())
	case wal.ActionDelete:
		return "delete"
	case wal.ActionResize:
		return "resize to " + d.Size
	case wal.ActionStart:
		return "start (stopped, desired running)"
	case wal.ActionModify:
		return "modify to " + d.SizeText()
	case wal.ActionAttach:
		return "attach to " + d.SizeText()
	case wal.ActionDetach:
		return "detach from " + d.SizeText()
	case wal.ActionProtect:
		return "termination protection on"
	case wal.ActionUpdateTags:
		return "tags " + tagChanges(d.SetTags, d.RemoveTags)
	case wal.ActionAuthorize, wal.ActionRevoke:
		if d.Rule != nil {
			return d.Action.String() + " " + d.Rule.String()
		}
	case wal.ActionRefuse:
		return "refused"
	case wal.ActionHold:
		return "held"
	case wal.ActionReport:
		return "report only"
	}
	return d.Action.String()
}

// tagChanges shows "+k=v -k2" for tags set and removed.
func tagChanges(set map[string]string, remove []string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(set)) {
		parts = append(parts, "+"+k+"="+set[k])
	}
	for _, k := range remove {
		parts = append(parts, "-"+k)
	}
	return strings.Join(parts, " ")
}

// planColumnWidths is the width of the target and detail columns over the
// whole plan, so every section lines up.
func planColumnWidths(sections []planSection) (int, int) {
	var target, detail int
	for _, s := range sections {
		for _, l := range s.lines {
			target = max(target, len([]rune(l.target)))
			detail = max(detail, len([]rune(l.detail)))
		}
	}
	return target, detail
}
