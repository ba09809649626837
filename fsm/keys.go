package fsm

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidRecord is returned (wrapped, as an ApplyResult.Err) for a
// committed record that does not fit the key scheme or its kind. The leader
// validates records before proposing them, so this is a broken invariant.
var ErrInvalidRecord = errors.New("fsm: invalid record")

// The key scheme is the single source of truth for where the FSM keeps
// state in the mvcc store. Every value is the wal.EncodeRecord bytes of the
// record named.
//
//	config                  latest KindConfigApplied record
//	resources/<id>          latest KindObserved record of that resource; deleted on ChangeGone
//	decisions/<decisionID>  KindDecided record (not dry run; Create, Delete, UpdateTags or
//	                        Resize); deleted when its outcome (executed/failed) is applied
//	intents/<decisionID>    KindExecuting record; deleted with its outcome
//	cycles/last             latest KindCycleSummary record
//	notes/<resourceID>      KindNote record with a ResourceID (a plain register)
//	deliveries/<receiver>   latest KindDelivery record of that receiver (delivery.go)
const (
	KeyConfig        = "config"
	PrefixResources  = "resources/"
	PrefixDecisions  = "decisions/"
	PrefixIntents    = "intents/"
	KeyCyclesLast    = "cycles/last"
	PrefixNotes      = "notes/"
	maxKeyLen        = 512 // mvcc's limit on key length
	forbiddenKeyByte = "\x00"
)

// ResourceKey is the key of a resource's latest observation.
func ResourceKey(resourceID string) string { return PrefixResources + resourceID }

// DecisionKey is the key of a decision awaiting its outcome.
func DecisionKey(decisionID string) string { return PrefixDecisions + decisionID }

// IntentKey is the key of the intent (executing record) of a decision.
func IntentKey(decisionID string) string { return PrefixIntents + decisionID }

// NoteKey is the key of the note register of a resource.
func NoteKey(resourceID string) string { return PrefixNotes + resourceID }

// idFromKey strips prefix from a key produced by one of the functions above.
func idFromKey(prefix, key string) string { return strings.TrimPrefix(key, prefix) }

// checkID validates the identifier that completes a prefixed key: non-empty,
// no NUL byte, and short enough for mvcc's key limit. what names it in the
// error ("resource id", "decision id").
func checkID(what, prefix, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidRecord, what)
	case strings.Contains(id, forbiddenKeyByte):
		return fmt.Errorf("%w: %s %q contains a NUL byte", ErrInvalidRecord, what, id)
	case len(prefix)+len(id) > maxKeyLen:
		return fmt.Errorf("%w: %s is %d bytes, longer than %d", ErrInvalidRecord, what, len(id), maxKeyLen-len(prefix))
	}
	return nil
}
