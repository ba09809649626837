package wal

import "fmt"

// Kind identifies the type of a Record. Its numeric value is part of the
// on-disk format: never renumber, only append.
type Kind uint8

// Record kinds. The first five are the seed's lifecycle; the rest carry
// what the design needs besides (configuration, cycle summaries,
// compaction, operator notes).
const (
	KindObserved      Kind = 1  // a resource appeared, changed or disappeared
	KindDecided       Kind = 2  // the reconciler chose an action (or refused one)
	KindExecuting     Kind = 3  // intent: committed before the provider call
	KindExecuted      Kind = 4  // outcome: the provider call succeeded
	KindFailed        Kind = 5  // outcome: the provider call failed
	KindConfigApplied Kind = 6  // a desired configuration came into force
	KindCycleSummary  Kind = 7  // one per reconcile cycle
	KindCompaction    Kind = 8  // history older than a revision is dropped
	KindNote          Kind = 9  // a free-text operator note (also used by benchmarks)
	KindRestore       Kind = 10 // the store was rewound to a snapshot (appended after it)
	KindLeadership    Kind = 11 // a leader established leadership of a term
	KindDelivery      Kind = 12 // the leader's notifier delivered (or gave up on) an event

	lastKind = KindDelivery
)

// allKinds lists every valid kind in order.
func allKinds() []Kind {
	return []Kind{KindObserved, KindDecided, KindExecuting, KindExecuted, KindFailed,
		KindConfigApplied, KindCycleSummary, KindCompaction, KindNote, KindRestore, KindLeadership, KindDelivery}
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	return k >= KindObserved && k <= lastKind
}

// LastKind is the highest record kind this build reads. Kinds added after
// the first release need a newer format (minFormat), so a leader writing
// an older format for older nodes refuses them (ErrNeedsFormat).
func LastKind() Kind { return lastKind }

// String returns the kind's stable name ("observed", "decided", ...).
func (k Kind) String() string {
	switch k {
	case KindObserved:
		return "observed"
	case KindDecided:
		return "decided"
	case KindExecuting:
		return "executing"
	case KindExecuted:
		return "executed"
	case KindFailed:
		return "failed"
	case KindConfigApplied:
		return "config"
	case KindCycleSummary:
		return "summary"
	case KindCompaction:
		return "compaction"
	case KindNote:
		return "note"
	case KindRestore:
		return "restore"
	case KindLeadership:
		return "leader"
	case KindDelivery:
		return "delivery"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// minFormat is the oldest format that has kind k.
func minFormat(k Kind) byte {
	if k >= KindDelivery {
		return FormatV5
	}
	if k >= KindRestore {
		return FormatV4
	}
	return FormatV1
}

// ParseKind turns a name produced by String back into a Kind.
func ParseKind(s string) (Kind, error) {
	for _, k := range allKinds() {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown record kind %q (want one of observed, decided, executing, executed, failed, config, summary, compaction, note, restore, leader, delivery)", s)
}

// MarshalText implements encoding.TextMarshaler (JSON shows the name).
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("wal: invalid record kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	parsed, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}
