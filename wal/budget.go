package wal

// APIBudget is a cycle's EC2 API budget: per operation, the calls its plan
// makes (predicted by the provider's own batching code from the plan and
// the observation, before anything is called) and, after an apply, the
// calls counted per attempt by the provider's middleware; and the time the
// client-side limiter and EC2's documented token buckets need for the
// predicted calls (both starting full, calls taking no time), against the
// time the cycle actually waited on the limiter. Format 5; nil in older
// summaries.
//
// Example: a plan that launches 3 instances and authorizes 2 rules on an
// idle fleet of 11 resources:
//
//	DescribeInstances              planned 1  actual 1   describe
//	DescribeSecurityGroups         planned 2  actual 2   describe
//	DescribeVolumes                planned 1  actual 1   describe
//	RunInstances                   planned 1  actual 1   run_instances
//	AuthorizeSecurityGroupIngress  planned 2  actual 2   mutating
type APIBudget struct {
	Calls []APICalls `json:"calls"`
	// Counted: Actual and WaitedMS were counted (an apply); a dry run
	// predicts only.
	Counted bool `json:"counted"`
	// LimiterMS is the time Ovi's client-side limiter needs for the
	// predicted calls, CloudMS the time EC2's documented buckets need.
	LimiterMS int64 `json:"limiter_ms"`
	CloudMS   int64 `json:"cloud_ms"`
	// WaitedMS is the time the cycle's calls waited on the limiter.
	WaitedMS int64 `json:"waited_ms"`
}

// APICalls is one EC2 operation of a budget.
type APICalls struct {
	Operation string `json:"operation"` // e.g. RunInstances
	Bucket    string `json:"bucket"`    // the token bucket it draws from: run_instances, mutating, tags, describe
	Planned   int    `json:"planned"`
	Actual    int    `json:"actual"` // attempts, retries included (Counted budgets only)
}

// PlannedCalls is the sum of the planned calls.
func (b *APIBudget) PlannedCalls() int {
	n := 0
	for _, c := range b.Calls {
		n += c.Planned
	}
	return n
}

// ActualCalls is the sum of the counted calls.
func (b *APIBudget) ActualCalls() int {
	n := 0
	for _, c := range b.Calls {
		n += c.Actual
	}
	return n
}

// minAPICallsLen is the smallest encoded APICalls: two empty strings, two
// one-byte counts.
const minAPICallsLen = 4

func (e *encoder) budget(b *APIBudget) {
	if b == nil {
		e.bool(false)
		return
	}
	e.bool(true)
	e.uvarint(uint64(len(b.Calls)))
	for _, c := range b.Calls {
		e.str("budget.operation", c.Operation)
		e.str("budget.bucket", c.Bucket)
		e.int(c.Planned)
		e.int(c.Actual)
	}
	e.bool(b.Counted)
	e.varint(b.LimiterMS)
	e.varint(b.CloudMS)
	e.varint(b.WaitedMS)
}

func (d *decoder) budget() *APIBudget {
	if !d.bool("budget.present") {
		return nil
	}
	b := &APIBudget{}
	if n := d.count("budget.calls", minAPICallsLen); n > 0 {
		b.Calls = make([]APICalls, n)
		for i := range b.Calls {
			b.Calls[i] = APICalls{Operation: d.str("budget.operation"), Bucket: d.str("budget.bucket"),
				Planned: d.int("budget.planned"), Actual: d.int("budget.actual")}
		}
	}
	b.Counted = d.bool("budget.counted")
	b.LimiterMS = d.varint("budget.limiter_ms")
	b.CloudMS = d.varint("budget.cloud_ms")
	b.WaitedMS = d.varint("budget.waited_ms")
	return b
}
