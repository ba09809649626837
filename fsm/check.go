package fsm

import (
	"fmt"

	"github.com/yairfalse/ovi/wal"
)

// CheckRecords makes, before a proposal is appended, the checks the FSM
// makes when it applies recs (encoded in format): each record goes through
// its kind's handler, on a scratch builder. Handlers read no state, so a
// proposal that passes is one the FSM accepts, and a committed record the
// FSM refuses is a broken invariant. The leader relies on it to merge
// concurrent proposals into one entry: none can fail the others.
func (f *FSM) CheckRecords(recs []wal.Record, format byte) error {
	b := builder{raw: []byte{format}}
	for i := range recs {
		b.ops = b.ops[:0]
		if err := f.dispatch(&b, &recs[i]); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	return nil
}
