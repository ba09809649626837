package main

import (
	"context"
	"fmt"
	"io"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// analyzeCyclePages bounds the pages `wal analyze --cycles` reads.
const analyzeCyclePages = 20

// cycleBudget is one cycle's line of `ovi wal analyze --cycles`.
type cycleBudget struct {
	Revision revision         `json:"revision"`
	CycleID  string           `json:"cycle_id"`
	Summary  wal.CycleSummary `json:"summary"`
}

// readCycleBudgets reads the cycle summaries the query's window holds,
// in revision order (at most analyzeCyclePages pages).
func readCycleBudgets(ctx context.Context, s *session, q transport.WALQuery) ([]cycleBudget, error) {
	q.ResourceID, q.Kinds, q.Limit = "", []wal.Kind{wal.KindCycleSummary}, 1000
	var out []cycleBudget
	for range analyzeCyclePages {
		resp, err := s.client.WAL(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, e := range walEntries(resp.Records) {
			if e.Record.Summary != nil {
				out = append(out, cycleBudget{Revision: e.Revision, CycleID: e.Record.CycleID, Summary: *e.Record.Summary})
			}
		}
		if !resp.More || len(resp.Records) == 0 {
			break
		}
		q.After = resp.Records[len(resp.Records)-1].Revision
	}
	return out, nil
}

// renderCycleBudgets prints one line per cycle: its actions, the EC2
// calls it made against those it planned, and the time it waited on the
// limiter against the time planned; or one JSON document.
func renderCycleBudgets(w io.Writer, o renderOptions, cycles []cycleBudget) error {
	if o.json() {
		if cycles == nil {
			cycles = []cycleBudget{}
		}
		return writeJSONDocument(w, struct {
			Cycles []cycleBudget `json:"cycles"`
		}{cycles})
	}
	cycles = terminalSafe(cycles)
	t := newTable(w)
	t.row("REV", "CYCLE", "ACTIONS", "FAILURES", "CALLS", "PLANNED", "WAITED", "LIMITER", "EC2")
	var made, planned int
	for _, c := range cycles {
		b := c.Summary.Budget
		if b == nil {
			t.row(c.Revision.String(), c.CycleID, fmt.Sprint(c.Summary.Actions), fmt.Sprint(c.Summary.Failures), "-", "-", "-", "-", "-")
			continue
		}
		made, planned = made+b.ActualCalls(), planned+b.PlannedCalls()
		t.row(c.Revision.String(), c.CycleID, fmt.Sprint(c.Summary.Actions), fmt.Sprint(c.Summary.Failures),
			fmt.Sprint(b.ActualCalls()), fmt.Sprint(b.PlannedCalls()), msDuration(b.WaitedMS), msDuration(b.LimiterMS), msDuration(b.CloudMS))
	}
	if err := t.flush(); err != nil {
		return err
	}
	out := &errWriter{w: w}
	out.printf("%s: %d EC2 calls made, %d planned\n", plural(len(cycles), "cycle"), made, planned)
	return out.err
}
