package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yairfalse/ovi/wal"
)

// outputFormat is the value of -o/--output.
type outputFormat string

// Output formats.
const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
)

// renderOptions are what every renderer needs besides its data.
type renderOptions struct {
	format outputFormat
	style  style
	loc    *time.Location // times are shown in this zone
	now    time.Time      // "now" for open-ended durations
}

// json reports whether the renderer should write JSON.
func (o renderOptions) json() bool { return o.format == outputJSON }

// location is o.loc, or time.Local when unset.
func (o renderOptions) location() *time.Location {
	if o.loc == nil {
		return time.Local
	}
	return o.loc
}

// walEntry is one WAL record with the revision it lives at.
type walEntry struct {
	Revision revision   `json:"revision"`
	Record   wal.Record `json:"record"`
}

// writeJSONLine writes v as one compact JSON line (NDJSON).
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// writeJSONDocument writes v as one indented JSON document.
func writeJSONDocument(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// errWriter remembers the first write error so a renderer can print many
// lines and check once.
type errWriter struct {
	w   io.Writer
	err error
}

// printf formats to the writer unless an earlier write failed.
func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	if _, err := fmt.Fprintf(e.w, format, args...); err != nil {
		e.err = fmt.Errorf("write output: %w", err)
	}
}

// padRight pads s with spaces to width runes.
func padRight(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// formatTags shows tags as "k=v,k2=v2" in key order, or "-" for none.
func formatTags(tags map[string]string) string {
	if len(tags) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ",")
}

// formatDuration shows a duration the way people say it: "45s", "3m 20s",
// "2h 14m", "3d 4h".
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Second)
	days := int64(d / (24 * time.Hour))
	hours := int64(d/time.Hour) % 24
	minutes := int64(d/time.Minute) % 60
	seconds := int64(d/time.Second) % 60
	switch {
	case days > 0:
		return joinUnits(days, "d", hours, "h")
	case hours > 0:
		return joinUnits(hours, "h", minutes, "m")
	case minutes > 0:
		return joinUnits(minutes, "m", seconds, "s")
	}
	return fmt.Sprintf("%ds", seconds)
}

// joinUnits shows "2h 14m", or "2h" when the smaller unit is zero.
func joinUnits(big int64, bigUnit string, small int64, smallUnit string) string {
	if small == 0 {
		return fmt.Sprintf("%d%s", big, bigUnit)
	}
	return fmt.Sprintf("%d%s %d%s", big, bigUnit, small, smallUnit)
}

// spansDays reports whether the times fall on more than one calendar day
// in loc (then renderers show full dates).
func spansDays(loc *time.Location, times ...time.Time) bool {
	first := ""
	for _, t := range times {
		if t.IsZero() {
			continue
		}
		day := t.In(loc).Format(time.DateOnly)
		if first == "" {
			first = day
		} else if day != first {
			return true
		}
	}
	return false
}
