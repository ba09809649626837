package main

import (
	"io"
	"strings"
	"time"
)

// Replay line layout: the revision (as --revision, --from and --to accept
// it), then the seed README's line:
//
//	61    10:30:00 [observed]  Resource i-123456 found in cloud
//	61.1  10:30:01 [decided]   Delete: Not in desired configuration
//	62    10:30:02 [executing] Starting deletion
//	63    10:30:03 [executed]  Successfully deleted
//
// The revision is padded to the widest one plus two spaces (a followed
// replay pads to the width of the store's revision when it started). The
// bracketed kind is padded to the width of "[executing]" plus one space, so
// messages align; a longer kind ("[compaction]") gets one space.
const (
	replayKindWidth = len("[executing]")
	replayClock     = "15:04:05"
	replayDateTime  = "2006-01-02 15:04:05"
)

// replayWriter prints WAL entries one at a time (so --follow can stream).
type replayWriter struct {
	w    io.Writer
	o    renderOptions
	opts replayOptions
}

// replayOptions shape replay lines.
type replayOptions struct {
	// withDate shows "2006-01-02 15:04:05" instead of "15:04:05"; set it
	// when the records span more than one day.
	withDate bool
	// showResource prefixes the message with the record's resource id when
	// the message does not name it (a replay not filtered by resource).
	showResource bool
	// revWidth is the width the revision column is padded to.
	revWidth int
}

// revisionWidth is the width of the widest revision of entries.
func revisionWidth(entries []walEntry) int {
	w := 0
	for _, e := range entries {
		w = max(w, len(e.Revision.String()))
	}
	return w
}

// newReplayWriter returns a writer of replay lines (or NDJSON).
func newReplayWriter(w io.Writer, o renderOptions, opts replayOptions) *replayWriter {
	return &replayWriter{w: w, o: o, opts: opts}
}

// Write prints one entry: a line of text, or one JSON object per line.
func (r *replayWriter) Write(e walEntry) error {
	if r.o.json() {
		return writeJSONLine(r.w, e)
	}
	out := &errWriter{w: r.w}
	out.printf("%s\n", r.line(terminalSafe(e)))
	return out.err
}

// line formats one entry as text.
func (r *replayWriter) line(e walEntry) string {
	layout := replayClock
	if r.opts.withDate {
		layout = replayDateTime
	}
	kind := "[" + e.Record.Kind.String() + "]"
	pad := max(replayKindWidth-len(kind), 0) + 1
	msg := e.Record.Describe()
	if r.opts.showResource && e.Record.ResourceID != "" && !strings.Contains(msg, e.Record.ResourceID) {
		msg = e.Record.ResourceID + ": " + msg
	}
	return padRight(e.Revision.String(), r.opts.revWidth) + "  " + e.Record.Time.In(r.o.location()).Format(layout) + " " +
		r.o.style.paint(kindColor(e.Record.Kind.String()), kind) + strings.Repeat(" ", pad) + msg
}

// renderReplay prints a finished replay: dates appear when the entries
// span more than one day.
func renderReplay(w io.Writer, o renderOptions, entries []walEntry, showResource bool) error {
	times := make([]time.Time, 0, len(entries))
	for _, e := range entries {
		times = append(times, e.Record.Time)
	}
	rw := newReplayWriter(w, o, replayOptions{withDate: spansDays(o.location(), times...), showResource: showResource,
		revWidth: revisionWidth(entries)})
	for _, e := range entries {
		if err := rw.Write(e); err != nil {
			return err
		}
	}
	return nil
}
