// Package fsm applies committed Raft entries (the WAL) into the mvcc store.
//
// FSM implements raft.FSM and raft.BatchingFSM. A Raft entry of type
// raft.LogCommand carries one wal.Batch; every record of the batch goes to
// the audit log unchanged, and a per-kind handler (a dispatch table built in
// New) turns it into key/value operations following the key scheme in
// keys.go. All entries handed to one ApplyBatch call are written in ONE
// mvcc.Commit (one bbolt transaction, one fsync). The revision of an entry is
// its Raft index.
//
// The life of one action in the key space, by Raft index:
//
//	index 10  decided   d-1 Delete i-1    put decisions/d-1
//	index 11  executing d-1               put intents/d-1
//	index 12  executed  d-1               delete intents/d-1, delete decisions/d-1
//
// Reading at revision 11 shows an open intent (decision + executing); at 12
// and later there is none. A new leader resolves open intents by observing
// again (see OpenIntents).
//
// Apply is deterministic: it reads no clock, randomness or network; the only
// I/O is the store. Entries at or below the store's applied index are skipped,
// so a restart that replays the log since the last snapshot applies nothing
// twice.
package fsm
