package transport

import (
	"time"

	"github.com/yairfalse/ovi/wal"
)

// StateQuery selects GET /v1/state: the live keys under Prefix at
// Revision (0 = current).
type StateQuery struct {
	Revision    uint64
	Prefix      string
	Consistency Consistency
}

// KeyValue is one key of the replicated state. Values the FSM writes are
// encoded WAL records; Record holds the decoded one. Value holds the raw
// bytes (base64 in JSON) only when they are not a record.
type KeyValue struct {
	Key            string      `json:"key"`
	Record         *wal.Record `json:"record,omitempty"`
	Value          []byte      `json:"value,omitempty"`
	CreateRevision Revision    `json:"create_revision"`
	ModRevision    Revision    `json:"mod_revision"`
	Version        int64       `json:"version"`
	Deleted        bool        `json:"deleted,omitempty"`
}

// StateResponse answers GET /v1/state. Time is the proposer's timestamp of
// the newest record at or below Revision among those listed (or of the
// record at Revision itself); zero when unknown.
type StateResponse struct {
	Revision  uint64     `json:"revision"`
	Time      time.Time  `json:"time"`
	Compacted uint64     `json:"compacted"`
	Entries   []KeyValue `json:"entries"`
}

// HistoryQuery selects GET /v1/state/history.
type HistoryQuery struct {
	Key         string
	Consistency Consistency
}

// HistoryResponse lists the retained versions of a key, oldest first,
// tombstones included (Deleted).
type HistoryResponse struct {
	Key      string     `json:"key"`
	Versions []KeyValue `json:"versions"`
}

// DiffQuery selects GET /v1/state/diff.
type DiffQuery struct {
	From        uint64
	To          uint64
	Consistency Consistency
}

// Change is one key whose value differs between two revisions; nil = absent.
type Change struct {
	Key    string    `json:"key"`
	Before *KeyValue `json:"before"`
	After  *KeyValue `json:"after"`
}

// DiffResponse answers GET /v1/state/diff.
type DiffResponse struct {
	From    uint64   `json:"from"`
	To      uint64   `json:"to"`
	Changes []Change `json:"changes"`
}

// WALQuery selects GET /v1/wal (a replay of the audit log) and
// GET /v1/wal/follow. Zero values mean "no filter".
type WALQuery struct {
	ResourceID  string
	Kinds       []wal.Kind
	Since       time.Time // inclusive
	Until       time.Time // exclusive
	After       Revision  // records strictly after this revision
	Limit       int       // the first Limit records in revision order (0: the server's DefaultWALLimit per answer)
	Last        bool      // the last Limit records instead (still in revision order); needs Limit
	Consistency Consistency
}

// WALEntry is one audit record and its revision.
type WALEntry struct {
	Revision Revision   `json:"revision"`
	Record   wal.Record `json:"record"`
}

// WALResponse answers GET /v1/wal.
type WALResponse struct {
	Revision uint64     `json:"revision"` // the store's revision when the query ran
	Records  []WALEntry `json:"records"`
	// More is set when the limit cut the answer short: more records
	// match after the last one (ask again with After set to its revision),
	// or, for a Last query, before the first one.
	More bool `json:"more,omitempty"`
}

// FollowLine is one line of GET /v1/wal/follow (newline-delimited JSON):
// either an entry or a terminal error.
type FollowLine struct {
	Entry *WALEntry `json:"entry,omitempty"`
	Error *APIError `json:"error,omitempty"`
}

// NoteRequest is the body of POST /v1/wal/note. The note is stored as a
// KindNote record; with a ResourceID it is also the register notes/<id>.
type NoteRequest struct {
	ResourceID string `json:"resource_id,omitempty"`
	Text       string `json:"text"`
}

// ProposeResponse reports the revision (Raft index) of a committed write.
type ProposeResponse struct {
	Revision uint64 `json:"revision"`
}

// ProposeRequest is the body of the internal forwarding endpoint: records
// proposed on a follower, committed by the leader as one batch.
type ProposeRequest struct {
	Records []wal.Record `json:"records"`
}

// ProposeBatchRequest is the body of the internal batched forwarding
// endpoint (PathProposeMany): the proposals waiting on a follower, each
// still its own Raft entry, revision and answer on the leader.
type ProposeBatchRequest struct {
	Proposals []ProposeRequest `json:"proposals"`
}

// ProposeResult is the leader's answer to one proposal of a batch: its
// revision, or the error it would have answered alone (the code and
// message of PathPropose's error body).
type ProposeResult struct {
	Revision uint64    `json:"revision,omitempty"`
	Error    *APIError `json:"error,omitempty"`
}

// ProposeBatchResponse answers a ProposeBatchRequest: one result per
// proposal, in the request's order.
type ProposeBatchResponse struct {
	Results []ProposeResult `json:"results"`
}

// ReadIndexResponse is the leader's commit index, confirmed with
// VerifyLeader, for a linearizable read on a follower.
type ReadIndexResponse struct {
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
}

// RestoreResponse answers POST /v1/snapshot/restore.
type RestoreResponse struct {
	Revision uint64 `json:"revision"` // the applied revision after the restore
}

// ReconcileRequest is the body of POST /v1/reconcile, served by the
// leader's reconciler (forwarded from followers). Config, when set,
// replaces the desired configuration for this run; Source names where it
// was read from.
type ReconcileRequest struct {
	DryRun bool        `json:"dry_run"`
	Source string      `json:"source,omitempty"`
	Digest string      `json:"digest,omitempty"` // hex SHA-256 of the source file's bytes
	Config *wal.Config `json:"config,omitempty"`
	// Adopt, when set, makes the run an adoption (`ovi adopt`) instead of a
	// reconcile cycle: into Config when set (put in force first, unless a
	// dry run), else into the configuration in force. A leader of an older
	// release refuses the unknown field.
	Adopt *AdoptRequest `json:"adopt,omitempty"`
}

// AdoptRequest selects the unmanaged resources an adoption considers and
// the desired unit (count group or named resource) they join.
type AdoptRequest struct {
	Into     string   `json:"into"`
	Kind     string   `json:"kind,omitempty"` // the unit's type (ec2, security_group, ebs_volume) when the name is ambiguous
	IDs      []string `json:"ids,omitempty"`
	Filters  []string `json:"filters,omitempty"` // tag:KEY=VALUE or tag:KEY; all must match
	Matching bool     `json:"matching,omitempty"`
	// Approved, when not null, bounds the apply to these resources: what
	// the operator approved in the plan (an empty list adopts nothing).
	Approved []string `json:"approved"`
}

// ReconcileLine is one line of the POST /v1/reconcile response
// (newline-delimited JSON): a record the run emitted, or a terminal error.
type ReconcileLine struct {
	Record *wal.Record `json:"record,omitempty"`
	Error  *APIError   `json:"error,omitempty"`
}
