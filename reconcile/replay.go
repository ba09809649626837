package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// RecordedInputs turns the memory and parameters a cycle's Decide read into
// their WAL form (the cycle summary's Inputs), sorted so the encoding is
// deterministic.
func RecordedInputs(version, digest string, confirmations int, m Memory) *wal.DecideInputs {
	if confirmations <= 0 {
		confirmations = DefaultConfirmations
	}
	in := &wal.DecideInputs{Version: version, ConfigDigest: digest, Confirmations: confirmations}
	for _, id := range slices.Sorted(maps.Keys(m.Unwanted)) {
		in.Unwanted = append(in.Unwanted, wal.UnwantedSighting{ResourceID: id, Seen: m.Unwanted[id]})
	}
	for _, id := range slices.Sorted(maps.Keys(m.Launched)) {
		l := m.Launched[id]
		in.Launched = append(in.Launched, wal.LaunchCredit{ResourceID: id, Kind: launchKind(l), Group: l.Group, Cycles: l.Cycles})
	}
	for _, k := range slices.Sorted(maps.Keys(m.Failed)) {
		in.Failed = append(in.Failed, wal.FailedAction{Key: k, Code: m.Failed[k]})
	}
	return in
}

// MemoryOf is the Memory that RecordedInputs recorded.
func MemoryOf(in *wal.DecideInputs) Memory {
	m := Memory{Unwanted: map[string]int{}, Launched: map[string]Launch{}, Failed: map[string]string{}}
	for _, u := range in.Unwanted {
		m.Unwanted[u.ResourceID] = u.Seen
	}
	for _, l := range in.Launched {
		m.Launched[l.ResourceID] = Launch{Kind: l.Kind, Group: l.Group, Cycles: l.Cycles}
	}
	for _, f := range in.Failed {
		m.Failed[f.Key] = f.Code
	}
	return m
}

// Replay re-runs Decide on a cycle's recorded inputs: the configuration
// and observed resources the store holds at the revision the cycle decided
// at, and the Inputs of its summary.
func Replay(kinds *Kinds, desired wal.Config, observed []wal.Resource, in *wal.DecideInputs) Plan {
	return Decider{Confirmations: in.Confirmations, Kinds: kinds}.Decide(desired, observed, MemoryOf(in))
}

// Verdict compares one recorded decision with its replay.
type Verdict struct {
	Identical bool          `json:"identical"`
	Replayed  *wal.Decided  `json:"replayed,omitempty"` // nil: the replay has no decision at that position
	Diffs     []FieldChange `json:"differences,omitempty"`
}

// FieldChange is one field that differs between the recorded and the
// replayed decision.
type FieldChange struct {
	Field    string `json:"field"`
	Recorded string `json:"recorded"`
	Replayed string `json:"replayed"`
}

// ReplayDecision finds decision decisionID (`<cycle id>-<n>`, the n-th of
// the plan) in a replayed plan and compares it with the recorded one. What
// the engine adds after Decide is added to the replay the same way: a
// create's (or an adoption's) ovi:decision tag, the image a Resolver filled in, and the hold
// of a create whose parameters could not be resolved.
func ReplayDecision(plan Plan, decisionID string, recorded *wal.Decided) Verdict {
	n, ok := decisionIndex(decisionID)
	if !ok || n > len(plan.Actions) {
		return Verdict{Diffs: []FieldChange{{Field: "decision", Recorded: recorded.Reason, Replayed: "(none)"}}}
	}
	a := plan.Actions[n-1]
	if a.Action == wal.ActionAdopt {
		a.SetTags = withTag(a.SetTags, wal.TagDecision, decisionID)
	}
	if a.Action == wal.ActionCreate {
		a.SetTags = withTag(a.SetTags, wal.TagDecision, decisionID)
		if a.ImageID == "" {
			a.ImageID = recorded.ImageID
		}
		if recorded.Action == wal.ActionHold && strings.HasPrefix(recorded.Reason, "Held: "+a.Reason+", but ") {
			a.Action, a.Reason = wal.ActionHold, recorded.Reason
		}
	}
	replayed := a.Decided(recorded.DryRun)
	diffs := compareDecided(recorded, replayed)
	return Verdict{Identical: len(diffs) == 0, Replayed: replayed, Diffs: diffs}
}

// decisionIndex reads n from "<cycle id>-<n>".
func decisionIndex(id string) (int, bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return 0, false
	}
	var n int
	if _, err := fmt.Sscanf(id[i+1:], "%d", &n); err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// compareDecided lists the fields in which two decisions differ.
func compareDecided(rec, rep *wal.Decided) []FieldChange {
	var out []FieldChange
	add := func(field, a, b string) {
		if a != b {
			out = append(out, FieldChange{Field: field, Recorded: a, Replayed: b})
		}
	}
	add("action", rec.Action.String(), rep.Action.String())
	add("drift", rec.Drift.String(), rep.Drift.String())
	add("resource_kind", rec.ResourceKind.String(), rep.ResourceKind.String())
	add("reason", rec.Reason, rep.Reason)
	add("group", rec.Group, rep.Group)
	add("count", fmt.Sprint(rec.Count), fmt.Sprint(rep.Count))
	add("size", rec.SizeText(), rep.SizeText()) // a volume target typed (format 6) or in words (older): the same words
	add("image_id", rec.ImageID, rep.ImageID)
	add("set_tags", tagList(rec.SetTags), tagList(rep.SetTags))
	add("remove_tags", strings.Join(rec.RemoveTags, ","), strings.Join(rep.RemoveTags, ","))
	if rec.Adoptable != "" { // a hint, which a leader writing format 4 leaves out
		add("adoptable", rec.Adoptable, rep.Adoptable)
	}
	return out
}

func tagList(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}
