package reconcile

import "time"

// Status is what became of one decision in a cycle.
type Status uint8

// Decision statuses.
const (
	StatusPlanned  Status = 1 // not executed: a dry run, or a Refuse/Hold/Report decision
	StatusExecuted Status = 2 // the provider call succeeded (executed recorded)
	StatusFailed   Status = 3 // the provider returned an error (failed recorded)
	StatusUnknown  Status = 4 // the call's outcome is unknown (intent left open for recovery)
	StatusNotRun   Status = 5 // the cycle stopped first (context done, or a proposal failed)
)

// String returns the status name a CLI prints.
func (s Status) String() string {
	switch s {
	case StatusPlanned:
		return "planned"
	case StatusExecuted:
		return "executed"
	case StatusFailed:
		return "failed"
	case StatusUnknown:
		return "unknown"
	case StatusNotRun:
		return "not-run"
	}
	return "invalid"
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Report describes one cycle (or one recovery) for a CLI: the plan with
// every decision's outcome, Terraform-style.
type Report struct {
	CycleID      string           `json:"cycle_id"`
	DryRun       bool             `json:"dry_run"`
	ConfigSource string           `json:"config_source,omitempty"`
	ConfigDigest string           `json:"config_digest,omitempty"`
	ConfigStored bool             `json:"config_stored"` // this cycle recorded a new configuration
	Changes      ObservedChanges  `json:"changes"`
	Counts       Counts           `json:"counts"`
	Kinds        []KindCounts     `json:"-"` // Counts per kind (nil until the cycle decided)
	Decisions    []DecisionReport `json:"decisions"`
	Records      int              `json:"records"` // WAL records committed by this cycle
	Failures     int              `json:"failures"`
	Duration     time.Duration    `json:"duration"`
}

// ObservedChanges counts the observation records of a cycle.
type ObservedChanges struct {
	New     int `json:"new"`
	Updated int `json:"updated"`
	Gone    int `json:"gone"`
}

// DecisionReport is one decision and its outcome.
type DecisionReport struct {
	DecisionID string        `json:"decision_id"`
	Action     PlannedAction `json:"action"`
	// Recorded is false for a Refuse/Hold/Report decision identical to
	// one recorded by the previous cycle (not written again).
	Recorded    bool     `json:"recorded"`
	Status      Status   `json:"status"`
	ResourceIDs []string `json:"resource_ids,omitempty"` // launched (Create) or affected
	Code        string   `json:"code,omitempty"`         // provider error code when failed
	Message     string   `json:"message,omitempty"`
	Recovered   bool     `json:"recovered,omitempty"` // resolved by Recover
}
