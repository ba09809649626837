package wal

// DecideInputs is what a cycle's Decide read beyond the store: the store
// answers the desired configuration and the observed resources at the
// revision the cycle decided at, but not the leader's memory of earlier
// cycles or the version of the code that decided. With these, `ovi why`
// re-runs Decide on exactly the inputs of a recorded decision. Recorded
// in the cycle summary (format 3).
type DecideInputs struct {
	// Version is the Ovi version that decided ("v0.4.0", "dev").
	Version string `json:"version"`
	// ConfigDigest is the digest of the configuration Decide read; a dry
	// run given a file decides from one that is never put in force.
	ConfigDigest string `json:"config_digest"`
	// Confirmations is Decide's re-check parameter (observations of an
	// unwanted resource before it is deleted).
	Confirmations int `json:"confirmations"`
	// Unwanted: per resource, the consecutive earlier observations that
	// showed it unwanted, sorted by resource id.
	Unwanted []UnwantedSighting `json:"unwanted,omitempty"`
	// Launched: launches not visible yet that counted towards their group
	// (the launch visibility credit), sorted by resource id.
	Launched []LaunchCredit `json:"launched,omitempty"`
	// Failed: actions whose last attempt failed terminally, held until the
	// configuration changes, sorted by key.
	Failed []FailedAction `json:"failed,omitempty"`
}

// UnwantedSighting is one entry of DecideInputs.Unwanted.
type UnwantedSighting struct {
	ResourceID string `json:"resource_id"`
	Seen       int    `json:"seen"`
}

// LaunchCredit is one entry of DecideInputs.Launched.
type LaunchCredit struct {
	ResourceID string       `json:"resource_id"`
	Kind       ResourceKind `json:"kind"`
	Group      string       `json:"group"`
	Cycles     int          `json:"cycles"` // observations since the launch that did not show it
}

// FailedAction is one entry of DecideInputs.Failed.
type FailedAction struct {
	Key  string `json:"key"`  // "create/web", "delete/i-1"
	Code string `json:"code"` // the provider's error code
}

// Minimum encoded sizes of the DecideInputs entries (for count checks).
const (
	minSightingLen = 2 // empty id, one-byte count
	minCreditLen   = 4 // empty id, kind byte, empty group, one-byte count
	minFailedLen   = 2 // two empty strings
)

func (e *encoder) decideInputs(p *DecideInputs) {
	if p == nil {
		e.bool(false)
		return
	}
	e.bool(true)
	e.str("inputs.version", p.Version)
	e.str("inputs.config_digest", p.ConfigDigest)
	e.int(p.Confirmations)
	e.uvarint(uint64(len(p.Unwanted)))
	for _, u := range p.Unwanted {
		e.str("inputs.unwanted.resource_id", u.ResourceID)
		e.int(u.Seen)
	}
	e.uvarint(uint64(len(p.Launched)))
	for _, l := range p.Launched {
		e.str("inputs.launched.resource_id", l.ResourceID)
		e.u8(uint8(l.Kind))
		e.str("inputs.launched.group", l.Group)
		e.int(l.Cycles)
	}
	e.uvarint(uint64(len(p.Failed)))
	for _, f := range p.Failed {
		e.str("inputs.failed.key", f.Key)
		e.str("inputs.failed.code", f.Code)
	}
}

func (d *decoder) decideInputs() *DecideInputs {
	if !d.bool("inputs.present") {
		return nil
	}
	p := &DecideInputs{Version: d.str("inputs.version"), ConfigDigest: d.str("inputs.config_digest"), Confirmations: d.int("inputs.confirmations")}
	if n := d.count("inputs.unwanted", minSightingLen); n > 0 {
		p.Unwanted = make([]UnwantedSighting, n)
		for i := range p.Unwanted {
			p.Unwanted[i] = UnwantedSighting{ResourceID: d.str("inputs.unwanted.resource_id"), Seen: d.int("inputs.unwanted.seen")}
		}
	}
	if n := d.count("inputs.launched", minCreditLen); n > 0 {
		p.Launched = make([]LaunchCredit, n)
		for i := range p.Launched {
			l := &p.Launched[i]
			l.ResourceID = d.str("inputs.launched.resource_id")
			l.Kind = d.resourceKind("inputs.launched.kind")
			l.Group = d.str("inputs.launched.group")
			l.Cycles = d.int("inputs.launched.cycles")
		}
	}
	if n := d.count("inputs.failed", minFailedLen); n > 0 {
		p.Failed = make([]FailedAction, n)
		for i := range p.Failed {
			p.Failed[i] = FailedAction{Key: d.str("inputs.failed.key"), Code: d.str("inputs.failed.code")}
		}
	}
	return p
}
