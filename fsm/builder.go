package fsm

import (
	"github.com/yairfalse/ovi/mvcc"
)

// builder collects the operations of the entry being built. It reads
// nothing: a delete is emitted whether or not the key exists, and the store
// turns a delete of an absent key into nothing (no tombstone), judging
// existence inside the commit transaction, earlier entries of the same
// batch included.
type builder struct {
	ops     []mvcc.Op
	compact uint64
	audit   uint64 // audit-log compaction revision (Compaction.Audit)
	raw     []byte // the encoding of the record being dispatched, as the log holds it
}

// reset starts a new entry.
func (b *builder) reset() {
	b.ops = nil
	b.compact = 0
	b.audit = 0
	b.raw = nil
}

// put adds key ← the record being dispatched, as the bytes the log holds.
func (b *builder) put(key string) {
	b.ops = append(b.ops, mvcc.Op{Type: mvcc.OpPut, Key: key, Value: b.raw})
}

// del adds the deletion of key.
func (b *builder) del(key string) {
	b.ops = append(b.ops, mvcc.Op{Type: mvcc.OpDelete, Key: key})
}

// scheduleCompaction asks for compaction of history below rev; the highest
// of an entry's compaction records wins. The store clamps it to the entry's
// index and ignores it when it is not above the current compaction point.
func (b *builder) scheduleCompaction(rev, audit uint64) {
	b.compact = max(b.compact, rev)
	b.audit = max(b.audit, audit)
}
