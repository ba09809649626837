package fsm

import (
	"fmt"

	"github.com/yairfalse/ovi/wal"
)

// handler turns one validated record (its payload matches its kind) into
// staged operations on b.
type handler func(b *builder, rec *wal.Record) error

// handlers is the dispatch table, one handler per record kind; New builds
// it. A kind without a handler is an invalid record.
func handlers() map[wal.Kind]handler {
	return map[wal.Kind]handler{
		wal.KindObserved:      applyObserved,
		wal.KindDecided:       applyDecided,
		wal.KindExecuting:     applyExecuting,
		wal.KindExecuted:      applyOutcome,
		wal.KindFailed:        applyOutcome,
		wal.KindConfigApplied: applyConfig,
		wal.KindCycleSummary:  applySummary,
		wal.KindCompaction:    applyCompaction,
		wal.KindNote:          applyNote,
		wal.KindRestore:       auditOnly,
		wal.KindLeadership:    auditOnly,
		wal.KindDelivery:      applyDelivery,
	}
}

// applyObserved keeps the latest observation of a resource under
// resources/<id> and deletes the key when the resource is gone.
func applyObserved(b *builder, rec *wal.Record) error {
	id, err := observedID(rec)
	if err != nil {
		return err
	}
	switch rec.Observed.Change {
	case wal.ChangeNew, wal.ChangeUpdated:
		b.put(ResourceKey(id))
		return nil
	case wal.ChangeGone:
		b.del(ResourceKey(id))
		return nil
	}
	return fmt.Errorf("%w: observed %s has unknown change %d", ErrInvalidRecord, id, rec.Observed.Change)
}

// observedID is the resource id of an observation: the record's ResourceID,
// or the observed resource's id when the record leaves it empty. The two
// must agree when both are set.
func observedID(rec *wal.Record) (string, error) {
	id, payloadID := rec.ResourceID, rec.Observed.Resource.ID
	switch {
	case id == "":
		id = payloadID
	case payloadID != "" && payloadID != id:
		return "", fmt.Errorf("%w: observed record for %q carries resource %q", ErrInvalidRecord, id, payloadID)
	}
	if err := checkID("resource id", PrefixResources, id); err != nil {
		return "", err
	}
	return id, nil
}

// applyDecided keeps a decision that will be executed until its outcome is
// applied. Dry runs and decisions not to act (refuse, hold, report) only go
// to the audit log.
func applyDecided(b *builder, rec *wal.Record) error {
	if rec.Decided.DryRun || !actionExecutes(rec.Decided.Action, recordFormat(b)) {
		return nil
	}
	if err := checkID("decision id", PrefixDecisions, rec.DecisionID); err != nil {
		return err
	}
	b.put(DecisionKey(rec.DecisionID))
	return nil
}

// actionExecutes reports whether the leader executes decisions with action
// a, decided in a record of the given format. A start is kept from format
// 6 on: formats up to 5 did not keep it (a start interrupted by a failover
// was decided again instead of recovered), and every node must compute the
// same state from the same log whichever release it runs.
func actionExecutes(a wal.Action, format byte) bool {
	switch a {
	case wal.ActionStart:
		return format >= wal.FormatV6
	case wal.ActionCreate, wal.ActionDelete, wal.ActionUpdateTags, wal.ActionResize,
		wal.ActionAuthorize, wal.ActionRevoke,
		wal.ActionModify, wal.ActionAttach, wal.ActionDetach, wal.ActionAdopt, wal.ActionProtect:
		return true
	}
	return false
}

// recordFormat is the format byte of the record being dispatched (the
// first byte of its encoding as the log holds it), 0 when there is none.
func recordFormat(b *builder) byte {
	if len(b.raw) == 0 {
		return 0
	}
	return b.raw[0]
}

// applyExecuting records the intent, committed before the provider call.
func applyExecuting(b *builder, rec *wal.Record) error {
	if err := checkID("decision id", PrefixDecisions, rec.DecisionID); err != nil {
		return err
	}
	b.put(IntentKey(rec.DecisionID))
	return nil
}

// applyOutcome (executed or failed) closes a decision: its intent and
// decision keys are deleted.
func applyOutcome(b *builder, rec *wal.Record) error {
	if err := checkID("decision id", PrefixDecisions, rec.DecisionID); err != nil {
		return err
	}
	b.del(IntentKey(rec.DecisionID))
	b.del(DecisionKey(rec.DecisionID))
	return nil
}

// applyConfig keeps the configuration in force.
func applyConfig(b *builder, rec *wal.Record) error {
	b.put(KeyConfig)
	return nil
}

// applySummary keeps the latest cycle summary.
func applySummary(b *builder, rec *wal.Record) error {
	b.put(KeyCyclesLast)
	return nil
}

// applyCompaction schedules compaction of the KV history (Entry.Compact)
// and, from format 5, of the audit log (Entry.CompactAudit).
func applyCompaction(b *builder, rec *wal.Record) error {
	b.scheduleCompaction(rec.Compaction.Revision, rec.Compaction.Audit)
	return nil
}

// applyNote keeps a note about a resource as a register; a note without a
// resource only goes to the audit log.
func applyNote(b *builder, rec *wal.Record) error {
	if rec.ResourceID == "" {
		return nil
	}
	if err := checkID("resource id", PrefixNotes, rec.ResourceID); err != nil {
		return err
	}
	b.put(NoteKey(rec.ResourceID))
	return nil
}

// auditOnly is the handler of records that only go to the audit log
// (restore, leadership): no key keeps them.
func auditOnly(*builder, *wal.Record) error { return nil }
