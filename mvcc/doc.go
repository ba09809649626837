// Package mvcc is Ovi's multi-version key-value store and audit log, kept in
// one bbolt file.
//
// A revision's Main is the Raft index of the entry that made a change; Sub
// orders the changes inside one entry. Every version of every key is kept
// until compaction, so any revision can be read back ("time travel").
//
// The history of one key, as the key index (in memory, index.go) holds it;
// each version is one row of the versions bucket, keyed by its revision
// (Main + Sub, so a commit appends):
//
//	rev {3,0}   put    resources/i-1 = A   create {3,0}  version 1
//	rev {7,1}   put    resources/i-1 = B   create {3,0}  version 2
//	rev {9,0}   delete resources/i-1       (tombstone)
//	rev {12,0}  put    resources/i-1 = C   create {12,0} version 1
//
//	Get(key, 2)  → ErrKeyNotFound  (not created yet)
//	Get(key, 8)  → B               (newest version with Main <= 8)
//	Get(key, 10) → ErrKeyNotFound  (deleted at 9)
//	Get(key, 0)  → C               (0 = current revision)
//
// After Compact(10) the versions at 3 and 7 are gone (superseded at or
// below 10) and so is the tombstone at 9 (it was the newest version at or
// below 10, and a tombstone needs no keeping); {12,0} stays. Reads below 10
// return ErrCompacted; reads at 10 or later give the same answers as before.
//
// Every read validates first (0 → current, above current →
// ErrFutureRevision, below the compaction revision → ErrCompacted), then
// looks up, then reads, all in one bbolt read transaction.
//
// The audit log (the wal records of every entry) lives in the same file,
// with indexes by resource, kind and time; compaction never removes it.
// See docs/architecture/mvcc-storage.md for the byte layout.
package mvcc
