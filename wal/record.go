package wal

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Record is one entry of the audit log. Exactly one payload pointer is set,
// the one matching Kind; Validate checks this.
type Record struct {
	Kind       Kind      `json:"kind"`
	ResourceID string    `json:"resource_id,omitempty"` // where the record concerns one resource
	Time       time.Time `json:"time"`                  // set by the proposer, never by the FSM
	Node       string    `json:"node"`                  // the proposing node's name
	Term       uint64    `json:"term"`                  // Raft term the proposer led in (0 for notes from followers)
	DecisionID string    `json:"decision_id,omitempty"` // links decided → executing → executed/failed
	CycleID    string    `json:"cycle_id,omitempty"`    // the reconcile cycle that produced the record

	Observed   *Observed      `json:"observed,omitempty"`
	Decided    *Decided       `json:"decided,omitempty"`
	Executing  *Executing     `json:"executing,omitempty"`
	Executed   *Executed      `json:"executed,omitempty"`
	Failed     *Failed        `json:"failed,omitempty"`
	Config     *ConfigApplied `json:"config,omitempty"`
	Summary    *CycleSummary  `json:"summary,omitempty"`
	Compaction *Compaction    `json:"compaction,omitempty"`
	Note       *Note          `json:"note,omitempty"`
	Restore    *Restore       `json:"restore,omitempty"`
	Leadership *Leadership    `json:"leadership,omitempty"`
	Delivery   *Delivery      `json:"delivery,omitempty"`
}

// Batch is the payload of one Raft entry: records applied atomically, in
// order. Record i of the batch lives at revision {entry index, i}.
type Batch struct {
	Records []Record `json:"records"`
}

// ErrInvalidRecord is returned (wrapped) by Validate.
var ErrInvalidRecord = errors.New("wal: invalid record")

// Validate checks that the record has a known kind, exactly the payload
// that kind requires, a timestamp, and known enum values in its payload.
func (r *Record) Validate() error {
	if !r.Kind.Valid() {
		return fmt.Errorf("%w: unknown kind %d", ErrInvalidRecord, uint8(r.Kind))
	}
	n, got := r.payloads()
	if n == 1 && got != r.Kind {
		return fmt.Errorf("%w: kind %s carries a %s payload instead of its own", ErrInvalidRecord, r.Kind, got)
	}
	if n != 1 {
		return fmt.Errorf("%w: kind %s needs exactly its own payload, has %d payloads", ErrInvalidRecord, r.Kind, n)
	}
	if r.Time.IsZero() {
		return fmt.Errorf("%w: kind %s has no timestamp", ErrInvalidRecord, r.Kind)
	}
	if err := r.validateEnums(); err != nil {
		return err
	}
	return r.validateResourceKinds()
}

// validateResourceKinds checks the resource kinds a payload names: an
// observed resource's kind and payload, a decision's kind, a
// configuration's named resources.
func (r *Record) validateResourceKinds() error {
	switch {
	case r.Observed != nil:
		return r.Observed.Resource.validate()
	case r.Decided != nil && !r.Decided.ResourceKind.Valid():
		return fmt.Errorf("%w: decision about %s", ErrUnknownKind, r.Decided.ResourceKind)
	case r.Config != nil:
		for i := range r.Config.Config.Resources {
			if err := r.Config.Config.Resources[i].validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateEnums checks the enum fields of the payload (Validate has checked
// that the payload matching Kind is present).
func (r *Record) validateEnums() error {
	var bad string
	switch {
	case r.Observed != nil && !r.Observed.Change.Valid():
		bad = r.Observed.Change.String()
	case r.Decided != nil && !r.Decided.Action.Valid():
		bad = r.Decided.Action.String()
	case r.Decided != nil && !r.Decided.Drift.Valid():
		bad = r.Decided.Drift.String()
	case r.Executing != nil && !r.Executing.Action.Valid():
		bad = r.Executing.Action.String()
	case r.Executed != nil && !r.Executed.Action.Valid():
		bad = r.Executed.Action.String()
	case r.Failed != nil && !r.Failed.Action.Valid():
		bad = r.Failed.Action.String()
	case r.Delivery != nil && !r.Delivery.Outcome.Valid():
		bad = r.Delivery.Outcome.String()
	default:
		return nil
	}
	return fmt.Errorf("%w: %s payload has unknown %s", ErrInvalidRecord, r.Kind, bad)
}

// payloads returns how many payload pointers are set and the kind of the
// last one set. It does not allocate (Validate runs on every encode).
func (r *Record) payloads() (n int, last Kind) {
	add := func(present bool, k Kind) {
		if present {
			n++
			last = k
		}
	}
	add(r.Observed != nil, KindObserved)
	add(r.Decided != nil, KindDecided)
	add(r.Executing != nil, KindExecuting)
	add(r.Executed != nil, KindExecuted)
	add(r.Failed != nil, KindFailed)
	add(r.Config != nil, KindConfigApplied)
	add(r.Summary != nil, KindCycleSummary)
	add(r.Compaction != nil, KindCompaction)
	add(r.Note != nil, KindNote)
	add(r.Restore != nil, KindRestore)
	add(r.Leadership != nil, KindLeadership)
	add(r.Delivery != nil, KindDelivery)
	return n, last
}

// Concerns reports whether the record is about resource id: its own
// ResourceID, or one of the instances an executed launch created (a
// create is decided for a group, before its instances have ids). The
// audit log indexes a record under every id it concerns.
func (r *Record) Concerns(id string) bool {
	return id != "" && (r.ResourceID == id || (r.Executed != nil && slices.Contains(r.Executed.ResourceIDs, id)))
}

// ResourceIDs returns every resource id the record concerns, without
// duplicates: ResourceID first, then the ids an executed launch created.
func (r *Record) ResourceIDs() []string {
	var ids []string
	if r.ResourceID != "" {
		ids = append(ids, r.ResourceID)
	}
	if r.Executed != nil {
		for _, id := range r.Executed.ResourceIDs {
			if id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Name is the unit of the desired configuration the record is about, by
// name: an observed resource's group, a decision's group (a count group or
// a named resource). Outcomes carry no name; the audit log finds theirs
// through their decision.
func (r *Record) Name() string {
	switch {
	case r.Observed != nil:
		return r.Observed.Resource.Group
	case r.Decided != nil:
		return r.Decided.Group
	}
	return ""
}
