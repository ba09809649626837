package main

import (
	"io"
	"os"
)

// ANSI colour codes used by the renderers. Every code is two digits, so a
// painted cell is always the same number of bytes longer than its text and
// columns padded by text/tabwriter stay aligned when every cell of a column
// is painted.
const (
	colorRed     = "31"
	colorGreen   = "32"
	colorYellow  = "33"
	colorBlue    = "34"
	colorMagenta = "35"
	colorCyan    = "36"
	colorDefault = "39"
	colorGrey    = "90"
)

// style decides whether output is coloured and paints text.
type style struct {
	color bool
}

// newStyle turns colour on only when w is a terminal, and never with
// --no-color, with NO_COLOR set (https://no-color.org) or with TERM=dumb.
func newStyle(w io.Writer, noColor bool, getenv func(string) string) style {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return style{}
	}
	return style{color: isTerminal(w)}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	if err != nil {
		return false
	}
	return info.Mode()&os.ModeCharDevice != 0
}

// paint wraps text in the colour code when colour is on.
func (s style) paint(code, text string) string {
	if !s.color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// kindColor is the colour of a WAL record kind's name.
func kindColor(kind string) string {
	switch kind {
	case "observed":
		return colorCyan
	case "decided":
		return colorMagenta
	case "executing":
		return colorBlue
	case "executed":
		return colorGreen
	case "failed":
		return colorRed
	case "restore":
		return colorYellow
	}
	return colorGrey
}

// resourceStateColor is the colour of an EC2 instance state.
func resourceStateColor(state string) string {
	switch state {
	case "running":
		return colorGreen
	case "pending", "stopping", "stopped", "shutting-down":
		return colorYellow
	case "terminated", "gone":
		return colorRed
	}
	return colorDefault
}
