package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// applyCounts are the outcomes of an apply: instances created, resources
// updated and deleted, and decisions whose last outcome was a failure.
type applyCounts struct {
	Created int `json:"created"`
	Missing int `json:"missing,omitempty"` // instances a short launch did not create (the next cycle retries)
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	Failed  int `json:"failed"`
}

// String is the closing line: "Apply complete: 2 created, 1 updated,
// 1 deleted, 1 failed", with "(N still missing)" after a short launch.
func (c applyCounts) String() string {
	created := fmt.Sprintf("%d created", c.Created)
	if c.Missing > 0 {
		created += fmt.Sprintf(" (%d still missing)", c.Missing)
	}
	return fmt.Sprintf("Apply complete: %s, %d updated, %d deleted, %d failed", created, c.Updated, c.Deleted, c.Failed)
}

// applyDone is the JSON form's closing line, with the cycle's API budget
// (planned and made calls) when the cycle recorded one.
type applyDone struct {
	ApplyComplete applyCounts    `json:"apply_complete"`
	Budget        *wal.APIBudget `json:"budget,omitempty"`
}

// applyProgress prints an apply as it happens: one line per executing,
// executed and failed record, then Finish prints the totals. It knows the
// plan's decisions so a create (which has no resource id yet) is named by
// its group. The JSON form prints every record as NDJSON, then the totals.
type applyProgress struct {
	w         io.Writer
	o         renderOptions
	decisions map[string]*wal.Decided
	outcome   map[string]*wal.Record // last executed/failed record per decision
	order     []string               // decisions in the order their outcomes arrived
	summary   *wal.CycleSummary      // the cycle's summary, once it arrived (its budget closes the apply)
}

// newApplyProgress starts the progress of an apply of the decided records.
func newApplyProgress(w io.Writer, o renderOptions, decided []wal.Record) *applyProgress {
	p := &applyProgress{w: w, o: o, decisions: make(map[string]*wal.Decided), outcome: make(map[string]*wal.Record)}
	for _, rec := range decided {
		p.learn(rec)
	}
	return p
}

// learn remembers a decided record (terminal-safe: the decisions only
// name the targets of progress lines).
func (p *applyProgress) learn(rec wal.Record) {
	if rec.Decided != nil && rec.DecisionID != "" {
		p.decisions[rec.DecisionID] = terminalSafe(rec.Decided)
	}
}

// Record prints one record of the apply as it arrives.
func (p *applyProgress) Record(rec wal.Record) error {
	p.learn(rec)
	if rec.Summary != nil {
		p.summary = rec.Summary
	}
	if rec.Executed != nil || rec.Failed != nil {
		if _, seen := p.outcome[rec.DecisionID]; !seen {
			p.order = append(p.order, rec.DecisionID)
		}
		p.outcome[rec.DecisionID] = &rec
	}
	if p.o.json() {
		return writeJSONLine(p.w, rec)
	}
	line := p.line(terminalSafe(rec))
	if line == "" {
		return nil
	}
	out := &errWriter{w: p.w}
	out.printf("%s\n", line)
	return out.err
}

// line is the progress line for a record, "" for records not shown.
func (p *applyProgress) line(rec wal.Record) string {
	switch {
	case rec.Executing != nil:
		return "  " + p.target(rec) + " " + progressVerb(rec.Executing.Action) + "…"
	case rec.Executed != nil:
		line := p.o.style.paint(colorGreen, "✓") + " " + pastVerb(rec.Executed.Action) + " " + p.target(rec)
		if rec.Executed.Action == wal.ActionCreate && len(rec.Executed.ResourceIDs) > 0 {
			line += ": " + strings.Join(rec.Executed.ResourceIDs, ", ")
		}
		if want, got := p.wanted(rec), len(rec.Executed.ResourceIDs); rec.Executed.Action == wal.ActionCreate && got < want {
			line += fmt.Sprintf(" — launched %d of %d; %d still missing, next cycle retries", got, want, want-got)
		}
		return line
	case rec.Failed != nil:
		f := rec.Failed
		line := p.o.style.paint(colorRed, "✗") + " " + f.Action.String() + " " + p.target(rec) + ": " + f.Code
		if f.Message != "" {
			line += ": " + f.Message
		}
		if f.Retryable {
			line += " (will retry)"
		}
		return line
	}
	return ""
}

// target names what a record acts on: the resource id, or for a create
// the group and count ("web (2)").
func (p *applyProgress) target(rec wal.Record) string {
	if rec.ResourceID != "" {
		return rec.ResourceID
	}
	if d, ok := p.decisions[rec.DecisionID]; ok && d.Group != "" {
		if d.Action == wal.ActionCreate {
			return fmt.Sprintf("%s (%d)", d.Group, max(d.Count, 1))
		}
		return d.Group
	}
	if rec.DecisionID != "" {
		return "decision " + rec.DecisionID
	}
	return "-"
}

// wanted is how many instances the create decision behind rec asked
// for (0 when the decision is unknown).
func (p *applyProgress) wanted(rec wal.Record) int {
	if d, ok := p.decisions[rec.DecisionID]; ok && d.Action == wal.ActionCreate {
		return max(d.Count, 1)
	}
	return 0
}

// Counts totals the outcomes seen so far: per decision, its last outcome.
func (p *applyProgress) Counts() applyCounts {
	var c applyCounts
	for _, id := range p.order {
		rec := p.outcome[id]
		if rec.Failed != nil {
			c.Failed++
			continue
		}
		switch rec.Executed.Action {
		case wal.ActionCreate:
			c.Created += len(rec.Executed.ResourceIDs)
			c.Missing += max(p.wanted(*rec)-len(rec.Executed.ResourceIDs), 0)
		case wal.ActionDelete:
			c.Deleted += max(len(rec.Executed.ResourceIDs), 1)
		case wal.ActionUpdateTags, wal.ActionResize, wal.ActionStart, wal.ActionAuthorize, wal.ActionRevoke,
			wal.ActionModify, wal.ActionAttach, wal.ActionDetach, wal.ActionProtect:
			c.Updated += max(len(rec.Executed.ResourceIDs), 1)
		}
	}
	return c
}

// Finish prints the closing "Apply complete: ..." line and the calls the
// apply made against its budget (or their JSON).
func (p *applyProgress) Finish() (applyCounts, error) {
	c := p.Counts()
	var budget *wal.APIBudget
	if p.summary != nil {
		budget = p.summary.Budget
	}
	if p.o.json() {
		return c, writeJSONLine(p.w, applyDone{ApplyComplete: c, Budget: budget})
	}
	out := &errWriter{w: p.w}
	out.printf("%s\n", c)
	writeBudget(out, terminalSafe(budget))
	return c, out.err
}

// progressVerb says what an action is doing: "deleting", "creating".
func progressVerb(a wal.Action) string {
	switch a {
	case wal.ActionCreate:
		return "creating"
	case wal.ActionDelete:
		return "deleting"
	case wal.ActionUpdateTags:
		return "updating tags"
	case wal.ActionResize:
		return "resizing"
	case wal.ActionStart:
		return "starting"
	case wal.ActionAuthorize:
		return "authorizing a rule"
	case wal.ActionRevoke:
		return "revoking a rule"
	case wal.ActionModify:
		return "modifying"
	case wal.ActionAttach:
		return "attaching"
	case wal.ActionDetach:
		return "detaching"
	case wal.ActionAdopt:
		return "adopting"
	case wal.ActionProtect:
		return "protecting"
	}
	return a.String()
}

// pastVerb says what an action did: "deleted", "created".
func pastVerb(a wal.Action) string {
	switch a {
	case wal.ActionCreate:
		return "created"
	case wal.ActionDelete:
		return "deleted"
	case wal.ActionUpdateTags:
		return "updated tags of"
	case wal.ActionResize:
		return "resized"
	case wal.ActionStart:
		return "started"
	case wal.ActionAuthorize:
		return "authorized a rule on"
	case wal.ActionRevoke:
		return "revoked a rule on"
	case wal.ActionModify:
		return "modified"
	case wal.ActionAttach:
		return "attached"
	case wal.ActionDetach:
		return "detached"
	case wal.ActionAdopt:
		return "adopted"
	case wal.ActionProtect:
		return "protected"
	}
	return a.String()
}
