package main

import (
	"bytes"
	"fmt"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// writeBudget prints a cycle's EC2 API budget (the summary's): for a plan
// (not counted), the calls the apply will make per operation and the time
// the limiter and EC2's buckets need for them; for an applied cycle, the
// calls made beside the planned ones and the time waited. Its text must
// already be terminal-safe. A summary without a budget (an older record,
// a provider that predicts none) prints nothing.
func writeBudget(out *errWriter, b *wal.APIBudget) {
	if b == nil {
		return
	}
	out.printf("\n%s\n", budgetHeadline(b))
	var buf bytes.Buffer
	t := newTable(&buf)
	if b.Counted {
		t.row("  OPERATION", "BUCKET", "PLANNED", "MADE")
	} else {
		t.row("  OPERATION", "BUCKET", "CALLS")
	}
	for _, c := range b.Calls {
		if b.Counted {
			t.row("  "+c.Operation, c.Bucket, fmt.Sprint(c.Planned), madeCell(c))
		} else {
			t.row("  "+c.Operation, c.Bucket, fmt.Sprint(c.Planned))
		}
	}
	if err := t.flush(); err != nil && out.err == nil {
		out.err = err
	}
	out.printf("%s", buf.String())
}

// budgetHeadline is the budget's first line: "API budget of the apply:
// 14 EC2 calls; Ovi's limiter needs 0s, EC2's buckets 0s" for a plan,
// "API calls: 15 made, 14 planned; waited 0s on the limiter (planned 0s,
// EC2's buckets 0s)" for an applied cycle.
func budgetHeadline(b *wal.APIBudget) string {
	limiter, cloud := msDuration(b.LimiterMS), msDuration(b.CloudMS)
	if !b.Counted {
		return fmt.Sprintf("API budget of the apply: %s; Ovi's limiter needs %s, EC2's buckets %s",
			plural(b.PlannedCalls(), "EC2 call"), limiter, cloud)
	}
	return fmt.Sprintf("API calls: %d made, %d planned; waited %s on the limiter (planned %s, EC2's buckets %s)",
		b.ActualCalls(), b.PlannedCalls(), msDuration(b.WaitedMS), limiter, cloud)
}

// madeCell is the calls made, with the difference to the plan: "3 (+1)".
func madeCell(c wal.APICalls) string {
	if d := c.Actual - c.Planned; d != 0 {
		return fmt.Sprintf("%d (%+d)", c.Actual, d)
	}
	return fmt.Sprint(c.Actual)
}

// msDuration shows milliseconds as a duration: 0s, 250ms, 2.5s.
func msDuration(ms int64) string { return (time.Duration(ms) * time.Millisecond).String() }
