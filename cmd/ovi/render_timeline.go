package main

import (
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// renderTimeline prints `ovi wal analyze --timeline`: a header naming the
// resource, then its states and the events between them in time order,
// each row starting with its revision, then the counts. Example:
//
//	i-0aaa000000000001 · web · t3.micro · managed
//	51   10:30:00 ──● pending        (1m 5s)           ← decided d-7f3a create
//	53   10:31:05 ──● running        (2h 13m)
//	120  12:44:00   │   decided d-91bc: Delete: Not in desired configuration
//	122  12:44:10   │   ✓ d-91bc: Successfully deleted
//	125  12:45:05 ──● shutting-down  (2m)              ← decided d-91bc delete
//	131  12:47:05 ──○ gone                             ← decided d-91bc delete
//
//	4 observations, 1 decision, 1 execution, 0 failures
func renderTimeline(w io.Writer, o renderOptions, t timeline) error {
	if o.json() {
		return writeJSONDocument(w, t)
	}
	t = terminalSafe(t)
	out := &errWriter{w: w}
	out.printf("%s\n", timelineHeader(t))
	layout := replayClock
	if spansDays(o.location(), timelineTimes(t)...) {
		layout = replayDateTime
	}
	stateWidth, spanWidth := timelineWidths(t)
	rows := timelineRows(t)
	revWidth := 0
	for _, row := range rows {
		revWidth = max(revWidth, len(row.rev.String()))
	}
	for _, row := range rows {
		clock := padRight(row.rev.String(), revWidth) + "  " + row.time.In(o.location()).Format(layout)
		if row.state == nil {
			out.printf("%s   │   %s\n", clock, row.event.Text)
			continue
		}
		out.printf("%s\n", strings.TrimRight(clock+" "+stateLine(o, *row.state, stateWidth, spanWidth), " "))
	}
	if len(t.States) == 0 && len(t.Events) == 0 {
		out.printf("No records for %s.\n", t.ResourceID)
	}
	out.printf("\n%s\n", countsLine(t.Counts))
	return out.err
}

// timelineHeader names the resource and what it was last seen as.
func timelineHeader(t timeline) string {
	parts := []string{t.ResourceID}
	if r := t.Resource; r != nil {
		if r.Group != "" {
			parts = append(parts, r.Group)
		}
		parts = append(parts, r.Summary())
		parts = append(parts, managedWord(r.Managed))
		if r.Blessed() {
			parts = append(parts, "blessed")
		}
	}
	return strings.Join(parts, " · ")
}

// managedWord says whether Ovi manages a resource.
func managedWord(managed bool) string {
	if managed {
		return "managed"
	}
	return "unmanaged"
}

// stateLine draws one state: "──● running        (2h 14m)   ← decided d-1 create".
func stateLine(o renderOptions, s timelineState, stateWidth, spanWidth int) string {
	mark := "──●"
	if s.State == stateGone {
		mark = "──○"
	}
	span := ""
	if s.Until != nil || s.Current {
		span = "(" + formatDuration(time.Duration(s.Seconds)*time.Second)
		if s.Current {
			span += ", now"
		}
		span += ")"
	}
	name := o.style.paint(resourceStateColor(s.State), s.State) + strings.Repeat(" ", stateWidth-len([]rune(s.State)))
	line := mark + " " + name + "  " + padRight(span, spanWidth)
	if s.DecisionID != "" {
		line += "  ← decided " + s.DecisionID + " " + s.Action.String()
	}
	if len(s.Changes) > 0 {
		line += "  · " + joinChanges(s.Changes)
	}
	return line
}

// timelineWidths are the widths of the state and duration columns.
func timelineWidths(t timeline) (int, int) {
	var state, span int
	for _, s := range t.States {
		state = max(state, len([]rune(s.State)))
		span = max(span, len("(, now)")+len(formatDuration(time.Duration(s.Seconds)*time.Second)))
	}
	return state, span
}

// timelineRow is a state or an event, for merging the two in time order.
type timelineRow struct {
	time  time.Time
	rev   revision
	state *timelineState
	event *timelineEvent
}

// timelineRows merges states and events by revision (stable, so a state
// and an event of the same record keep their order).
func timelineRows(t timeline) []timelineRow {
	rows := make([]timelineRow, 0, len(t.States)+len(t.Events))
	for i := range t.States {
		rows = append(rows, timelineRow{time: t.States[i].Since, rev: t.States[i].Revision, state: &t.States[i]})
	}
	for i := range t.Events {
		rows = append(rows, timelineRow{time: t.Events[i].Time, rev: t.Events[i].Revision, event: &t.Events[i]})
	}
	sort.SliceStable(rows, func(i, j int) bool { return compareRevisions(rows[i].rev, rows[j].rev) < 0 })
	return rows
}

// timelineTimes lists every time shown, to decide whether to show dates.
func timelineTimes(t timeline) []time.Time {
	var times []time.Time
	for _, s := range t.States {
		times = append(times, s.Since)
	}
	for _, e := range t.Events {
		times = append(times, e.Time)
	}
	return times
}

// countsLine is "4 observations, 1 decision, 1 execution, 0 failures".
func countsLine(c timelineCounts) string {
	return strings.Join([]string{plural(c.Observations, "observation"), plural(c.Decisions, "decision"),
		plural(c.Executions, "execution"), plural(c.Failures, "failure")}, ", ")
}

// plural is "1 decision" or "2 decisions".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// renderTimelineSummary prints analyze without --timeline: the path of
// states, the current one, and the counts.
func renderTimelineSummary(w io.Writer, o renderOptions, t timeline) error {
	t = terminalSafe(t)
	out := &errWriter{w: w}
	out.printf("%s\n", timelineHeader(t))
	if n := len(t.States); n > 0 {
		path := make([]string, 0, n)
		for _, s := range t.States {
			path = append(path, s.State)
		}
		last := t.States[n-1]
		out.printf("States: %s\n", strings.Join(path, " → "))
		out.printf("Last: %s since %s (revision %s)", last.State, last.Since.In(o.location()).Format(replayDateTime), last.Revision)
		if last.Current {
			out.printf(" (%s)", formatDuration(time.Duration(last.Seconds)*time.Second))
		}
		if last.DecisionID != "" {
			out.printf(", moved by decision %s (%s)", last.DecisionID, last.Action)
		}
		out.printf("\n")
	} else {
		out.printf("No observations of %s.\n", t.ResourceID)
	}
	out.printf("%s\n", countsLine(t.Counts))
	return out.err
}
