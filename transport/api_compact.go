package transport

import (
	"context"
	"net/http"
	"time"
)

// CompactRequest is the body of POST /v1/compact. Exactly one of Revision,
// Keep and KeepRevisions says how much key history stays; AuditKeep, when
// set, also drops the audit records older than it (the audit log is kept
// whole otherwise). The leader turns the request into revisions and
// commits them as one `compaction` WAL record; DryRun only answers the
// plan (the read token suffices).
type CompactRequest struct {
	Revision      uint64 `json:"revision,omitempty"`       // keep history from this revision on
	Keep          string `json:"keep,omitempty"`           // keep this much history ("30d", "12h")
	KeepRevisions uint64 `json:"keep_revisions,omitempty"` // keep the last N revisions
	AuditKeep     string `json:"audit_keep,omitempty"`     // drop audit records older than this ("365d")
	DryRun        bool   `json:"dry_run,omitempty"`
}

// CompactResponse answers POST /v1/compact: the plan and, unless it was a
// dry run or there was nothing to drop, the compaction record's revision.
type CompactResponse struct {
	Revision uint64      `json:"revision"`
	Plan     CompactPlan `json:"plan"`
}

// CompactUsage counts one side of a compaction; bytes are the keys and
// values the store holds for it, before page overhead (an estimate of what
// is freed: the file does not shrink, its pages are reused).
type CompactUsage struct {
	Keys       int   `json:"keys"`
	Versions   int   `json:"versions"`
	KVBytes    int64 `json:"kv_bytes"`
	Records    int   `json:"records"`
	AuditBytes int64 `json:"audit_bytes"`
}

// CompactHold is an in-flight read that held a compaction back: the
// revision a node is still reading.
type CompactHold struct {
	Node     string `json:"node"`
	Revision uint64 `json:"revision"`
}

// CompactPlan is what a compaction drops and keeps.
type CompactPlan struct {
	Policy         string `json:"policy"`
	Current        uint64 `json:"current"`         // the revision the plan was made at
	Compacted      uint64 `json:"compacted"`       // key history readable from here, before
	AuditCompacted uint64 `json:"audit_compacted"` // audit records kept from here, before (0: whole)
	Revision       uint64 `json:"revision"`        // key history readable from here, after
	Audit          uint64 `json:"audit"`           // audit records kept from here, after (0: whole)
	// Cutoff and AuditCutoff are the instants --keep and --audit-keep
	// mean (zero when not asked by time).
	Cutoff      time.Time     `json:"cutoff,omitzero"`
	AuditCutoff time.Time     `json:"audit_cutoff,omitzero"`
	OldestKept  time.Time     `json:"oldest_kept,omitzero"` // oldest audit record kept
	Dropped     CompactUsage  `json:"dropped"`
	Kept        CompactUsage  `json:"kept"`
	Held        []CompactHold `json:"held,omitempty"` // reads in flight that held the revisions back
}

// Nothing reports whether the plan drops nothing.
func (p *CompactPlan) Nothing() bool {
	return p.Revision <= p.Compacted && p.Audit <= p.AuditCompacted
}

// PathReads is the leader → server question about reads in flight.
const PathReads = "/v1/internal/reads"

// ReadsResponse answers GET /v1/internal/reads: the oldest revision a read
// in flight on the node still needs (0: none), within the read grace.
type ReadsResponse struct {
	Oldest uint64 `json:"oldest"`
}

// Reads asks a server for its reads in flight (GET /v1/internal/reads).
func (c *Client) Reads(ctx context.Context) (ReadsResponse, error) {
	var out ReadsResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathReads, nil, nil, &out)
}
