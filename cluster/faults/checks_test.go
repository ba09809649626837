//go:build e2e

package faults

import (
	"fmt"
	"testing"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// intent is one committed executing record, for matching calls to it.
type intent struct {
	node string
	rec  wal.Record
}

// uncoveredCalls checks decision 3 of the design (intent before action)
// from the cloud's side: every mutating EC2 call a node made must be
// covered by an executing record that the same node committed (it is in
// the WAL of the cluster) and stamped before the call. RunInstances is
// matched by its ClientToken, every other call by each instance id it
// names. Calls that are not from a node (the test's own) are ignored.
func uncoveredCalls(reqs []simRequest, entries []transport.WALEntry, nodes []*node) []string {
	byKey := map[string]string{}
	for _, n := range nodes {
		byKey[accessKey(n.name)] = n.name
	}
	byToken, byID := map[string][]intent{}, map[string][]intent{}
	for _, e := range entries {
		r := e.Record
		if r.Kind != wal.KindExecuting || r.Executing == nil {
			continue
		}
		if r.Executing.ClientToken != "" {
			byToken[r.Executing.ClientToken] = append(byToken[r.Executing.ClientToken], intent{r.Node, r})
		}
		if r.ResourceID != "" {
			byID[r.ResourceID] = append(byID[r.ResourceID], intent{r.Node, r})
		}
	}
	covered := func(ins []intent, node string, rq simRequest) bool {
		for _, in := range ins {
			if in.node == node && !in.rec.Time.After(rq.At) {
				return true
			}
		}
		return false
	}
	var bad []string
	for _, rq := range reqs {
		node, ok := byKey[rq.Key]
		if !ok || !mutating(rq.Action) {
			continue
		}
		if rq.Action == "RunInstances" {
			if !covered(byToken[rq.Token], node, rq) {
				bad = append(bad, fmt.Sprintf("%s RunInstances token %s at %s: no committed intent of %s", node, rq.Token, rq.At.Format("15:04:05.000"), node))
			}
			continue
		}
		for _, id := range rq.IDs {
			if !covered(byID[id], node, rq) {
				bad = append(bad, fmt.Sprintf("%s %s %s at %s: no committed intent of %s", node, rq.Action, id, rq.At.Format("15:04:05.000"), node))
			}
		}
	}
	return bad
}

// overLaunched counts, for every create decision in the WAL, the
// instances the cloud holds (terminated ones included) tagged with its
// decision id beyond the count it decided: duplicate launches of one
// decision, e.g. a retried launch that EC2 did not de-duplicate.
func overLaunched(ins []simInstance, entries []transport.WALEntry) (int, []string) {
	launched := map[string]int{}
	for _, in := range ins {
		if d := in.Tags["ovi:decision"]; d != "" {
			launched[d]++
		}
	}
	over := 0
	var msgs []string
	for id, s := range stories(entries) {
		if s.decided.Decided.Action != wal.ActionCreate {
			continue
		}
		if n := launched[id] - s.decided.Decided.Count; n > 0 {
			over += n
			msgs = append(msgs, fmt.Sprintf("decision %s asked for %d, the cloud holds %d", id, s.decided.Decided.Count, launched[id]))
		}
	}
	return over, msgs
}

// checkStory asserts what the WAL says about a decision the killed node
// took, given the failpoint it died at:
//
//	before-intent  decided (killed) → failed Abandoned (new leader)
//	after-intent   decided → executing #1 (killed) → executing #2 (new leader, same token) → executed, recovered
//	after-call     decided → executing #1 (killed) → executed, recovered (new leader: it already happened)
//	after-outcome  decided → executing #1 → executed (killed; nothing left to recover)
func checkStory(t *testing.T, s *story, point, killed string) {
	t.Helper()
	id := s.decided.DecisionID
	if s.outcome == nil {
		t.Errorf("decision %s (%s): no outcome in the WAL", id, point)
		return
	}
	var bad string
	o := s.outcome
	switch point {
	case "before-intent":
		if len(s.executing) != 0 || o.Kind != wal.KindFailed || o.Failed.Code != "Abandoned" || o.Node == killed {
			bad = "want no executing and failed Abandoned by the new leader"
		}
	case "after-intent":
		if len(s.executing) != 2 || s.executing[0].Node != killed || s.executing[1].Node == killed ||
			s.executing[1].Executing.Attempt != 2 || o.Kind != wal.KindExecuted || !o.Executed.Recovered ||
			s.executing[0].Executing.ClientToken != s.executing[1].Executing.ClientToken {
			bad = "want executing #1 (killed), executing #2 (new leader, same token), executed recovered"
		}
	case "after-call":
		if len(s.executing) != 1 || s.executing[0].Node != killed || o.Kind != wal.KindExecuted ||
			!o.Executed.Recovered || o.Node == killed {
			bad = "want executing #1 (killed) and executed recovered by the new leader"
		}
	case "after-outcome":
		if len(s.executing) != 1 || o.Kind != wal.KindExecuted || o.Executed.Recovered || o.Node != killed {
			bad = "want executing and executed, both by the killed leader"
		}
	}
	if bad != "" {
		t.Errorf("decision %s (%s, killed %s): %s; the WAL says:\n%s", id, point, killed, bad, s)
	}
}

// String prints a story as WAL lines.
func (s *story) String() string {
	line := func(r *wal.Record) string {
		msg := ""
		switch {
		case r.Decided != nil:
			msg = r.Decided.Reason
		case r.Executing != nil:
			msg = fmt.Sprintf("%s [attempt %d, token %s]", r.Executing.Description, r.Executing.Attempt, r.Executing.ClientToken)
		case r.Executed != nil:
			msg = fmt.Sprintf("%s %v recovered=%v", r.Executed.Message, r.Executed.ResourceIDs, r.Executed.Recovered)
		case r.Failed != nil:
			msg = r.Failed.Code + ": " + r.Failed.Message
		}
		return fmt.Sprintf("  %s [%s] %s term %d: %s\n", r.Time.Format("15:04:05.000"), r.Kind, r.Node, r.Term, msg)
	}
	out := line(s.decided)
	for i := range s.executing {
		out += line(&s.executing[i])
	}
	if s.outcome != nil {
		out += line(s.outcome)
	}
	return out
}
