package wal

import (
	"fmt"
	"strings"
	"time"
)

// Describe returns the one-line human description shown by `ovi wal
// replay`, e.g. "Resource i-123456 found in cloud", "Delete: Not in desired
// configuration", "Starting deletion", "Successfully deleted". Texts set by
// the proposer (reason, description, message) are used as they are; a
// sensible default stands in when one is empty.
func (r *Record) Describe() string {
	switch {
	case r.Kind == KindObserved && r.Observed != nil:
		return describeObserved(r.ResourceID, r.Observed)
	case r.Kind == KindDecided && r.Decided != nil:
		return describeDecided(r.Decided)
	case r.Kind == KindExecuting && r.Executing != nil:
		return orDefault(r.Executing.Description, "Starting "+noun(r.Executing.Action))
	case r.Kind == KindExecuted && r.Executed != nil:
		return orDefault(r.Executed.Message, "Successfully "+pastTense(r.Executed.Action))
	case r.Kind == KindFailed && r.Failed != nil:
		return describeFailed(r.Failed)
	case r.Kind == KindConfigApplied && r.Config != nil:
		c := r.Config
		if n := len(c.Config.Resources); n > 0 {
			return fmt.Sprintf("Configuration applied from %s (%d groups, %d named resources, digest %s)",
				c.Source, len(c.Config.Groups), n, shortDigest(c.Digest))
		}
		return fmt.Sprintf("Configuration applied from %s (%d groups, digest %s)", c.Source, len(c.Config.Groups), shortDigest(c.Digest))
	case r.Kind == KindCycleSummary && r.Summary != nil:
		return describeSummary(r.Summary)
	case r.Kind == KindCompaction && r.Compaction != nil:
		return describeCompaction(r.Compaction)
	case r.Kind == KindNote && r.Note != nil:
		return r.Note.Text
	case r.Kind == KindRestore && r.Restore != nil:
		return describeRestore(r.Restore)
	case r.Kind == KindLeadership && r.Leadership != nil:
		return describeLeadership(r.Term, r.Leadership)
	case r.Kind == KindDelivery && r.Delivery != nil:
		return describeDelivery(r.Delivery)
	}
	return fmt.Sprintf("%s record without its payload", r.Kind)
}

func describeObserved(recordID string, o *Observed) string {
	id := orDefault(o.Resource.ID, recordID)
	switch o.Change {
	case ChangeNew:
		return fmt.Sprintf("Resource %s found in cloud", id)
	case ChangeGone:
		return fmt.Sprintf("Resource %s no longer in cloud", id)
	default:
		return fmt.Sprintf("Resource %s changed (%s, %s)", id, o.Resource.Summary(), o.Resource.State)
	}
}

func describeDecided(d *Decided) string {
	s := orDefault(d.Reason, capitalise(d.Action.String())+": "+d.Drift.String())
	if d.DryRun {
		s += " (dry run)"
	}
	return s
}

func describeFailed(f *Failed) string {
	s := capitalise(noun(f.Action)) + " failed"
	if f.Code != "" {
		s += ": " + f.Code
	}
	if f.Message != "" {
		s += ": " + f.Message
	}
	if f.Retryable {
		s += " (retryable)"
	}
	return s
}

func describeSummary(s *CycleSummary) string {
	prefix := "Cycle"
	if s.DryRun {
		prefix = "Dry-run cycle"
	}
	return fmt.Sprintf("%s: %d observed, %d in sync, %d missing, %d unwanted, %d drifted, %d unmanaged; %d actions, %d failures in %s",
		prefix, s.Observed, s.InSync, s.Missing, s.Unwanted, s.Drifted, s.Unmanaged, s.Actions, s.Failures,
		time.Duration(s.DurationMS)*time.Millisecond) + describeBudget(s.Budget)
}

// describeBudget is "; 14 API calls (13 planned, 1.5s waited)" for an
// applied cycle, "; 13 API calls planned" for a dry run, "" without a
// budget.
func describeBudget(b *APIBudget) string {
	switch {
	case b == nil:
		return ""
	case !b.Counted:
		return fmt.Sprintf("; %d API calls planned", b.PlannedCalls())
	}
	return fmt.Sprintf("; %d API calls (%d planned, %s waited)", b.ActualCalls(), b.PlannedCalls(),
		time.Duration(b.WaitedMS)*time.Millisecond)
}

func describeRestore(p *Restore) string {
	s := fmt.Sprintf("Snapshot %s restored: history rewound from revision %d to %d, %d records dropped (%s token",
		shortDigest(p.Snapshot), p.FromRevision, p.ToRevision, p.Dropped, p.Scope)
	if p.Via != "" {
		s += ", via " + p.Via
	}
	return s + ")"
}

func describeLeadership(term uint64, p *Leadership) string {
	s := fmt.Sprintf("%s leads term %d", p.Leader, term)
	if p.Previous != "" {
		s += " (previous leader " + p.Previous + ")"
	}
	if p.Reason != "" {
		s += ": " + p.Reason
	}
	return s
}

// noun names the work an action does: "deletion", "creation", ...
func noun(a Action) string {
	switch a {
	case ActionCreate:
		return "creation"
	case ActionDelete:
		return "deletion"
	case ActionUpdateTags:
		return "tag update"
	case ActionResize:
		return "resize"
	case ActionAuthorize:
		return "rule authorization"
	case ActionRevoke:
		return "rule revocation"
	case ActionAdopt:
		return "adoption"
	}
	return a.String()
}

// pastTense says what a successful action did: "deleted", "created", ...
func pastTense(a Action) string {
	switch a {
	case ActionCreate:
		return "created"
	case ActionDelete:
		return "deleted"
	case ActionUpdateTags:
		return "updated tags"
	case ActionResize:
		return "resized"
	case ActionAuthorize:
		return "authorized the rule"
	case ActionRevoke:
		return "revoked the rule"
	case ActionAdopt:
		return "adopted"
	}
	return "completed " + a.String()
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// describeCompaction says what a compaction dropped and why.
func describeCompaction(c *Compaction) string {
	s := fmt.Sprintf("History compacted below revision %d", c.Revision)
	if c.Audit > 0 {
		s += fmt.Sprintf("; audit records below revision %d dropped", c.Audit)
	}
	if c.Policy != "" {
		s += " (" + c.Policy + ")"
	}
	return s
}
