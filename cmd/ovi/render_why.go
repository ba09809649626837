package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// renderWhy prints one decision's explanation, or its JSON document.
func renderWhy(w io.Writer, o renderOptions, v whyView) error {
	if o.json() {
		return writeJSONDocument(w, v)
	}
	out := &errWriter{w: w}
	writeWhy(out, o, terminalSafe(v))
	return out.err
}

// renderWhyCycle prints every decision of a cycle, or, for a cycle that
// decided nothing, its summary; then the cycle's API budget (none
// recorded: nothing). JSON is one document with the decisions (an empty
// list for an idle cycle), the summary record and the budget.
func renderWhyCycle(w io.Writer, o renderOptions, cl cycleRecords, views []whyView) error {
	if o.json() {
		return writeJSONDocument(w, struct {
			CycleID   string         `json:"cycle_id"`
			Decisions []whyView      `json:"decisions"`
			Summary   *walEntry      `json:"summary,omitempty"`
			Budget    *wal.APIBudget `json:"budget,omitempty"`
		}{cl.ID, views, cl.Summary, cl.budget()})
	}
	out := &errWriter{w: w}
	if len(views) == 0 {
		writeIdleCycle(out, o, cl)
	} else {
		writeWhyDecisions(out, o, cl.ID, views)
	}
	writeBudget(out, terminalSafe(cl.budget()))
	return out.err
}

// writeWhyDecisions prints each decision and the count replayed identical.
func writeWhyDecisions(out *errWriter, o renderOptions, cycle string, views []whyView) {
	identical := 0
	for i, v := range views {
		if i > 0 {
			out.printf("\n")
		}
		writeWhy(out, o, terminalSafe(v))
		if v.Replay.Status == replayIdentical {
			identical++
		}
	}
	out.printf("\nCycle %s: %d decisions, %d replayed identical\n", termSafe(cycle), len(views), identical)
}

// writeIdleCycle prints what a cycle that decided nothing did: where and
// when it finished and its summary (cl.Summary is set).
func writeIdleCycle(out *errWriter, o renderOptions, cl cycleRecords) {
	sum := cl.Summary
	out.printf("Cycle %s: no decisions\n", termSafe(cl.ID))
	out.printf("  finished  revision %s, %s, node %s, term %d\n", sum.Revision,
		sum.Record.Time.In(o.location()).Format(stateTimeLayout), termSafe(sum.Record.Node), sum.Record.Term)
	out.printf("  summary   %s\n", termSafe(sum.Record.Describe()))
}

func writeWhy(out *errWriter, o renderOptions, v whyView) {
	d := v.Decision
	out.printf("Decision %s (revision %s, %s, node %s, term %d)\n", d.ID, d.Revision,
		d.Time.In(o.location()).Format(stateTimeLayout), d.Node, d.Term)
	dry := ""
	if d.Decided.DryRun {
		dry = ", dry run"
	}
	out.printf("  action    %s (%s%s)\n", d.Decided.Action, d.Decided.Drift, dry)
	out.printf("  about     %s\n", subjectOf(d))
	out.printf("  reason    %s\n", d.Decided.Reason)
	out.printf("  cycle     %s\n", d.CycleID)
	if in := v.Inputs; in != nil {
		writeWhyInputs(out, in)
	}
	out.printf("\nRule\n  %s\n\n", v.Rule)
	writeWhyReplay(out, v.Replay)
	writeWhyNext(out, o, v)
}

// subjectOf names what a decision is about.
func subjectOf(d whyDecision) string {
	kind := d.Decided.ResourceKind.String()
	switch {
	case d.ResourceID != "" && d.Decided.Group != "":
		return fmt.Sprintf("%s %s of %s", kind, d.ResourceID, d.Decided.Group)
	case d.ResourceID != "":
		return fmt.Sprintf("%s %s", kind, d.ResourceID)
	case d.Decided.Count > 0:
		return fmt.Sprintf("%s group %s (%d)", kind, d.Decided.Group, d.Decided.Count)
	}
	return fmt.Sprintf("%s group %s", kind, d.Decided.Group)
}

func writeWhyInputs(out *errWriter, in *whyInputs) {
	out.printf("\nInputs (state at revision %d; configuration %s, digest %s)\n", in.Revision, orDash(in.ConfigSource), shortHex(orDash(in.ConfigDigest)))
	if u := in.Desired; u != nil {
		spec := []string{fmt.Sprintf("count %d", u.Count)}
		if u.Size != "" {
			spec = append(spec, "size "+u.Size)
		}
		if u.Image != "" {
			spec = append(spec, "image "+u.Image)
		}
		spec = append(spec, "tags "+formatTags(u.Tags))
		out.printf("  desired   %s %s: %s\n", u.Kind, u.Name, strings.Join(spec, ", "))
	} else {
		out.printf("  desired   (not in the configuration in force)\n")
	}
	if d := in.Desired; d != nil || in.Live > 0 {
		out.printf("  members   %d live\n", in.Live)
	}
	if r := in.Observed; r != nil {
		out.printf("  observed  %s %s %s, tags %s\n", r.ID, r.State, r.Summary(), formatTags(r.Tags))
	}
	for _, c := range in.Differences {
		out.printf("  differs   %s: %s\n", c.Attribute, c.Reason)
	}
	p := in.Policy
	out.printf("  policy    delete_unwanted=%t max_deletions_per_run=%d allow_disruptive=%t\n", p.DeleteUnwanted, p.MaxDeletions, p.AllowDisruptive)
	out.printf("  memory    confirmations %d, seen unwanted %d time(s) before, launch credit %d", in.Confirmations, in.SeenUnwanted, in.LaunchCredit)
	if in.FailedCode != "" {
		out.printf(", last attempt failed %s", in.FailedCode)
	}
	out.printf("\n")
}

func writeWhyReplay(out *errWriter, r whyReplay) {
	switch r.Status {
	case replayIdentical:
		out.printf("replayed: identical (recorded by %s, this is %s)\n", orDash(r.RecordedBy), r.ReplayedBy)
	case replayDiffers:
		out.printf("replayed: differs — recorded by version %s, this is version %s\n", orDash(r.RecordedBy), r.ReplayedBy)
		for _, d := range r.Differences {
			out.printf("  %-9s recorded %q, replayed %q\n", d.Field, d.Recorded, d.Replayed)
		}
	default:
		out.printf("replayed: not possible — %s\n", r.Reason)
	}
}

func writeWhyNext(out *errWriter, o renderOptions, v whyView) {
	if len(v.Outcomes) == 0 && v.SupersededBy == nil {
		return
	}
	out.printf("\nNext\n")
	for _, e := range v.Outcomes {
		out.printf("  %s\n", whyEntryLine(o, e))
	}
	if n := v.SupersededBy; n != nil {
		out.printf("  superseded by %s (revision %s, %s): %s\n", n.Record.DecisionID, n.Revision,
			n.Record.Time.In(o.location()).Format(stateTimeLayout), n.Record.Describe())
	}
}

// whyEntryLine is "revision time [kind] description".
func whyEntryLine(o renderOptions, e walEntry) string {
	return fmt.Sprintf("%s  %s [%s] %s", e.Revision, e.Record.Time.In(o.location()).Format(stateTimeLayout),
		e.Record.Kind, e.Record.Describe())
}
