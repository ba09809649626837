package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table aligns rows of cells with text/tabwriter (two spaces between
// columns). Colour inside a cell is safe only when every cell of that
// column is painted, header included (see style's equal-width codes);
// painted and colourCells do that.
type table struct {
	tw  *tabwriter.Writer
	err error
}

// newTable starts a table on w.
func newTable(w io.Writer) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

// row adds one row; cells must not contain tabs or newlines. Text from
// the cloud, a note or a config file must have passed through termSafe
// (renderers call terminalSafe on their data); row cannot do it itself,
// since a painted cell holds the renderer's own colour codes.
func (t *table) row(cells ...string) {
	if t.err != nil {
		return
	}
	for i, c := range cells {
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
	}
	if _, err := fmt.Fprintln(t.tw, strings.Join(cells, "\t")); err != nil {
		t.err = fmt.Errorf("write output: %w", err)
	}
}

// flush writes the aligned table and returns the first error.
func (t *table) flush() error {
	if t.err != nil {
		return t.err
	}
	if err := t.tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// yesNo shows a boolean in a table.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// orDash shows "-" for an empty cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
