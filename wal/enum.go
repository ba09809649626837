package wal

import "fmt"

// The enums below are stored as one byte on disk and shown by their stable
// lower-case names in text and JSON. Never renumber a value, only append;
// never rename a name (operators and scripts match on them).

// Valid reports whether a is a known action.
func (a Action) Valid() bool { return a >= ActionCreate && a <= lastAction }

// String returns the action's stable name ("create", "delete", ...).
func (a Action) String() string {
	switch a {
	case ActionCreate:
		return "create"
	case ActionDelete:
		return "delete"
	case ActionUpdateTags:
		return "update-tags"
	case ActionResize:
		return "resize"
	case ActionRefuse:
		return "refuse"
	case ActionHold:
		return "hold"
	case ActionReport:
		return "report"
	case ActionAuthorize:
		return "authorize"
	case ActionRevoke:
		return "revoke"
	case ActionStart:
		return "start"
	case ActionModify:
		return "modify"
	case ActionAttach:
		return "attach"
	case ActionDetach:
		return "detach"
	case ActionAdopt:
		return "adopt"
	case ActionProtect:
		return "protect"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// ParseAction turns a name produced by String back into an Action.
func ParseAction(s string) (Action, error) {
	for a := ActionCreate; a <= lastAction; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown action %q (want one of create, delete, update-tags, resize, refuse, hold, report, authorize, revoke, start, modify, attach, detach, adopt, protect)", s)
}

// MarshalText implements encoding.TextMarshaler (JSON shows the name).
func (a Action) MarshalText() ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("wal: invalid action %d", uint8(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	parsed, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = parsed
	return nil
}

// Valid reports whether d is a known drift class.
func (d Drift) Valid() bool { return d >= DriftInSync && d <= DriftUnmanaged }

// String returns the drift's stable name ("in-sync", "missing", ...).
func (d Drift) String() string {
	switch d {
	case DriftInSync:
		return "in-sync"
	case DriftMissing:
		return "missing"
	case DriftUnwanted:
		return "unwanted"
	case DriftDrifted:
		return "drifted"
	case DriftUnmanaged:
		return "unmanaged"
	}
	return fmt.Sprintf("drift(%d)", uint8(d))
}

// ParseDrift turns a name produced by String back into a Drift.
func ParseDrift(s string) (Drift, error) {
	for d := DriftInSync; d <= DriftUnmanaged; d++ {
		if d.String() == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown drift %q (want one of in-sync, missing, unwanted, drifted, unmanaged)", s)
}

// MarshalText implements encoding.TextMarshaler (JSON shows the name).
func (d Drift) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("wal: invalid drift %d", uint8(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Drift) UnmarshalText(b []byte) error {
	parsed, err := ParseDrift(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// Valid reports whether c is a known observation change.
func (c ObservedChange) Valid() bool { return c >= ChangeNew && c <= ChangeGone }

// String returns the change's stable name ("new", "updated", "gone").
func (c ObservedChange) String() string {
	switch c {
	case ChangeNew:
		return "new"
	case ChangeUpdated:
		return "updated"
	case ChangeGone:
		return "gone"
	}
	return fmt.Sprintf("change(%d)", uint8(c))
}

// ParseObservedChange turns a name produced by String back into an
// ObservedChange.
func ParseObservedChange(s string) (ObservedChange, error) {
	for c := ChangeNew; c <= ChangeGone; c++ {
		if c.String() == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown observation change %q (want one of new, updated, gone)", s)
}

// MarshalText implements encoding.TextMarshaler (JSON shows the name).
func (c ObservedChange) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("wal: invalid observation change %d", uint8(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *ObservedChange) UnmarshalText(b []byte) error {
	parsed, err := ParseObservedChange(string(b))
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}
