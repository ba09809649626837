package aws

import (
	"strings"
	"time"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// The budget: each kind predicts the calls its Observe, Resolve and
// Execute make (reconcile.Budgeter) with the helpers those methods batch
// with (chunks, tagChange, ruleChanges, launchOf), assuming every call
// succeeds at its first attempt; BudgetTime runs the calls through the
// token buckets. Retries, consistency retries and polling add calls the
// budget does not predict; the cycle's counted calls show them.

// Compile-time checks: every kind predicts its calls.
var (
	_ reconcile.Budgeter = instanceKind{}
	_ reconcile.Budgeter = securityGroupKind{}
	_ reconcile.Budgeter = volumeKind{}
)

// calls is n calls of an EC2 operation, with its bucket.
func calls(operation string, n int) reconcile.OperationCalls {
	return reconcile.OperationCalls{Operation: operation, Bucket: bucketName(operation), Calls: n}
}

// describePages is the number of calls a paginated Describe of n items takes with
// pages of size: one call when there are none.
func describePages(n, size int) int {
	if n <= 0 {
		return 1
	}
	return (n + size - 1) / size
}

// nonZero drops the operations with no calls.
func nonZero(ocs ...reconcile.OperationCalls) []reconcile.OperationCalls {
	out := make([]reconcile.OperationCalls, 0, len(ocs))
	for _, oc := range ocs {
		if oc.Calls > 0 {
			out = append(out, oc)
		}
	}
	return out
}

// tagCalls are the calls of one tag change on ids: one CreateTags and one
// DeleteTags per batch of up to batch ids (0: one call for all), each
// only if there is something to set or remove (ovi:blessed is never
// removed). An invalid change makes no call.
func tagCalls(req TagRequest, batch int) []reconcile.OperationCalls {
	set, remove, err := tagChange(req)
	if err != nil {
		return nil
	}
	n := 1
	if batch > 0 {
		ids, err := cleanIDs(req.IDs)
		if err != nil {
			return nil
		}
		n = len(chunks(ids, batch))
	}
	var out []reconcile.OperationCalls
	if len(set) > 0 {
		out = append(out, calls("CreateTags", n))
	}
	if len(remove) > 0 {
		out = append(out, calls("DeleteTags", n))
	}
	return out
}

// adoptCalls are the calls of adopt: one CreateTags per decision it does
// not refuse.
func adoptCalls(call reconcile.Call) []reconcile.OperationCalls {
	n := 0
	for _, d := range call.Decisions {
		if checkAdoption(d.Action) == nil {
			n++
		}
	}
	return nonZero(calls("CreateTags", n))
}

// namedGroups counts the security group references that are names (an
// id needs no lookup).
func namedGroups(refs []string) int {
	n := 0
	for _, r := range refs {
		if !strings.HasPrefix(r, "sg-") {
			n++
		}
	}
	return n
}

// BudgetTime implements reconcile.Budgeter for every kind: the time the
// calls, in order, need through the client-side buckets and through EC2's
// documented ones (DefaultLimits).
func (p *Provider) BudgetTime(ocs []reconcile.OperationCalls) (limiter, cloud time.Duration) {
	return bucketTime(p.limits, ocs), bucketTime(DefaultLimits(), ocs)
}

// bucketTime replays calls through one token bucket per class, each full
// at the start (as golang.org/x/time/rate starts) and every call taking no
// time: the result is how long the last call waits for its token.
func bucketTime(l Limits, ocs []reconcile.OperationCalls) time.Duration {
	type state struct{ tokens, at float64 }
	buckets := map[string]*state{}
	now := 0.0
	for _, oc := range ocs {
		b := l.bucket(oc.Bucket)
		s, ok := buckets[oc.Bucket]
		if !ok {
			s = &state{tokens: float64(b.Burst)}
			buckets[oc.Bucket] = s
		}
		for range oc.Calls {
			s.tokens = min(float64(b.Burst), s.tokens+(now-s.at)*b.Rate)
			s.at = now
			if s.tokens < 1 {
				now += (1 - s.tokens) / b.Rate
				s.tokens, s.at = 1, now
			}
			s.tokens--
		}
	}
	return time.Duration(now * float64(time.Second)).Round(time.Millisecond)
}

// bucket returns the bucket of a class named as bucketName names it.
func (l Limits) bucket(name string) Bucket {
	switch name {
	case BucketRunInstances:
		return l.RunInstances
	case BucketTags:
		return l.Tags
	case BucketDescribe:
		return l.Describe
	}
	return l.Mutating
}

// ObserveCalls implements reconcile.Budgeter: ceil(n/1000)
// DescribeInstances, and one DescribeInstanceAttribute per managed blessed
// instance (Observe reads their termination protection: fillProtection).
func (k instanceKind) ObserveCalls(observed []wal.Resource) []reconcile.OperationCalls {
	out := []reconcile.OperationCalls{calls("DescribeInstances", describePages(len(observed), pageSize))}
	if n := guardedCount(observed); n > 0 {
		out = append(out, calls("DescribeInstanceAttribute", n))
	}
	return out
}

// ResolveCalls implements reconcile.Budgeter: one DescribeImages for a
// launch that names no image (Resolve).
func (k instanceKind) ResolveCalls(a reconcile.PlannedAction) []reconcile.OperationCalls {
	if a.ImageID != "" {
		return nil
	}
	return []reconcile.OperationCalls{calls("DescribeImages", 1)}
}

// BudgetTime implements reconcile.Budgeter.
func (k instanceKind) BudgetTime(ocs []reconcile.OperationCalls) (time.Duration, time.Duration) {
	return k.p.BudgetTime(ocs)
}

// ExecuteCalls implements reconcile.Budgeter for Execute: a launch is one
// RunInstances (after one DescribeSecurityGroups if it names groups by
// name); deletes and starts describe and act once per batch of 1000; tag
// changes one CreateTags/DeleteTags per batch of 1000; a resize describes,
// stops, polls (at least once), modifies and starts; a protect is one
// ModifyInstanceAttribute.
func (k instanceKind) ExecuteCalls(call reconcile.Call) []reconcile.OperationCalls {
	d := call.Decisions[0]
	switch call.Action {
	case wal.ActionCreate:
		lookup := min(namedGroups(launchOf(call, d).SecurityGroups), 1)
		return nonZero(calls("DescribeSecurityGroups", lookup), calls("RunInstances", 1))
	case wal.ActionDelete, wal.ActionStart:
		op := "TerminateInstances"
		if call.Action == wal.ActionStart {
			op = "StartInstances"
		}
		ids, err := cleanIDs(call.IDs())
		if err != nil {
			return nil
		}
		n := len(chunks(ids, maxBatch))
		return nonZero(calls("DescribeInstances", n), calls(op, n))
	case wal.ActionUpdateTags:
		return tagCalls(TagRequest{IDs: call.IDs(), Set: d.Action.SetTags, Remove: d.Action.RemoveTags}, maxBatch)
	case wal.ActionAdopt:
		return adoptCalls(call)
	case wal.ActionProtect:
		return []reconcile.OperationCalls{calls("ModifyInstanceAttribute", 1)}
	case wal.ActionResize:
		return []reconcile.OperationCalls{calls("DescribeInstances", 1), calls("StopInstances", 1),
			calls("DescribeInstances", 1), calls("ModifyInstanceAttribute", 1), calls("StartInstances", 1)}
	}
	return nil
}
