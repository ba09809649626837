package transport

import (
	"fmt"
	"time"
)

// API paths served by every agent. Reads are answered locally (subject to
// the consistency level); writes are forwarded to the leader by the agent.
const (
	PathHealth      = "/v1/health"
	PathStatus      = "/v1/status"
	PathMembers     = "/v1/members"
	PathJoin        = "/v1/join"
	PathLeave       = "/v1/leave"
	PathRaftPeers   = "/v1/operator/raft/peers"
	PathRemovePeer  = "/v1/operator/raft/remove-peer"
	PathState       = "/v1/state"
	PathHistory     = "/v1/state/history"
	PathDiff        = "/v1/state/diff"
	PathWAL         = "/v1/wal"
	PathFollow      = "/v1/wal/follow"
	PathNote        = "/v1/wal/note"
	PathCompact     = "/v1/compact"
	PathSnapshot    = "/v1/snapshot"
	PathRestore     = "/v1/snapshot/restore"
	PathReconcile   = "/v1/reconcile"
	PathMetrics     = "/metrics"
	PathPropose     = "/v1/internal/propose"       // follower → leader write forwarding, one proposal a request
	PathProposeMany = "/v1/internal/propose-batch" // the same, the proposals waiting on a follower in one request
	PathReadIndex   = "/v1/internal/read-index"    // follower → leader linearizable read index
	ContentTypeJSON = "application/json"
	ContentTypeNDJS = "application/x-ndjson"
)

// Error codes carried in ErrorBody. Clients compare Code, never Message.
const (
	CodeBadRequest     = "bad_request" // malformed input (400)
	CodeNotFound       = "not_found"   // unknown path or key (404)
	CodeMethod         = "method_not_allowed"
	CodeTooLarge       = "too_large"       // request body over the limit (413)
	CodeCompacted      = "compacted"       // revision below the compaction point (410)
	CodeFutureRevision = "future_revision" // revision not yet applied here (400)
	CodeNoLeader       = "no_leader"       // no known leader (503)
	CodeNotLeader      = "not_leader"      // a leader-only request reached a follower (503; retry)
	CodeUnauthorized   = "unauthorized"    // missing or unknown API token (401)
	CodeForbidden      = "forbidden"       // a valid token without the scope the endpoint needs (403)
	CodeStale          = "stale"           // default read on a follower out of touch with the leader (503)
	CodeConflict       = "conflict"        // e.g. duplicate node name (409)
	CodeTimeout        = "timeout"         // deadline passed (504)
	CodeUnavailable    = "unavailable"     // shutting down, not ready, or a hook not wired (503)
	CodeOutcomeUnknown = "outcome_unknown" // a write that may or may not have committed: read before retrying (500)
	CodeInternal       = "internal"        // a bug or an I/O failure (500)
)

// APIError is the error every endpoint returns, inside ErrorBody. It is
// also the error type the Client returns for non-2xx answers.
type APIError struct {
	Status  int    `json:"-"` // HTTP status (set by the client)
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error implements error.
func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// ErrorBody is the JSON body of every error response:
// {"error":{"code":"...","message":"..."}}.
type ErrorBody struct {
	Error APIError `json:"error"`
}

// Consistency is the read consistency level of a state or WAL query.
type Consistency string

// Consistency levels (see docs/architecture/overview.md):
//   - stale: the local FSM as it is; fastest, may lag the leader arbitrarily.
//   - default: local, but only if this node is the leader or heard from the
//     leader recently (a bounded lag); otherwise the read fails with "stale".
//   - consistent: linearizable; the node fetches the leader's commit index
//     (confirmed with VerifyLeader) and waits until it has applied it.
const (
	Stale      Consistency = "stale"
	Default    Consistency = "default"
	Consistent Consistency = "consistent"
)

// ParseConsistency accepts "", stale, default and consistent ("" = default).
func ParseConsistency(s string) (Consistency, error) {
	switch Consistency(s) {
	case "", Default:
		return Default, nil
	case Stale, Consistent:
		return Consistency(s), nil
	}
	return "", fmt.Errorf("transport: unknown consistency %q (want stale, default or consistent)", s)
}

// Revision is an MVCC revision: Main is the Raft index, Sub orders the
// changes (or records) inside one entry.
type Revision struct {
	Main uint64 `json:"main"`
	Sub  uint32 `json:"sub"`
}

// HealthResponse answers GET /v1/health (200 while the agent serves).
type HealthResponse struct {
	Status string `json:"status"` // "ok"
	Node   string `json:"node"`
}

// NodeInfo names one agent and its addresses.
type NodeInfo struct {
	Name     string `json:"name"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
}

// StatusResponse answers GET /v1/status.
type StatusResponse struct {
	Node         NodeInfo   `json:"node"`
	Version      string     `json:"version"`
	State        string     `json:"state"`  // Raft state: Leader, Follower, Candidate, Shutdown
	Leader       *NodeInfo  `json:"leader"` // nil when no leader is known
	Term         uint64     `json:"term"`
	LastIndex    uint64     `json:"last_index"`
	CommitIndex  uint64     `json:"commit_index"`
	AppliedIndex uint64     `json:"applied_index"` // applied to the FSM (= current revision)
	LastContact  *time.Time `json:"last_contact,omitempty"`
	Peers        []RaftPeer `json:"peers"`
	HasState     bool       `json:"has_state"` // the node has Raft state (bootstrapped or joined)
}

// Member status values of Member.Status.
const (
	MemberAlive   = "alive"
	MemberSuspect = "suspect"
	MemberFailed  = "failed"
	MemberLeft    = "left"
)

// Member is one node known through gossip, joined with its Raft role.
type Member struct {
	Name       string `json:"name"`
	GossipAddr string `json:"gossip_addr"`
	RaftAddr   string `json:"raft_addr"`
	HTTPAddr   string `json:"http_addr"`
	Version    string `json:"version"`
	Status     string `json:"status"`    // alive, suspect, failed, left
	RaftRole   string `json:"raft_role"` // leader, follower, "unknown" (the leader, out of contact), or "" when not in the configuration
	Voter      bool   `json:"voter"`
}

// MembersResponse answers GET /v1/members.
type MembersResponse struct {
	Members []Member `json:"members"`
}

// JoinRequest is the body of POST /v1/join: gossip addresses (host:port).
type JoinRequest struct {
	Addresses []string `json:"addresses"`
}

// JoinResponse reports how many addresses were contacted successfully.
type JoinResponse struct {
	Joined int `json:"joined"`
}

// LeaveResponse answers POST /v1/leave; the agent then shuts down.
type LeaveResponse struct {
	Node string `json:"node"`
}

// Raft suffrage values of RaftPeer.Suffrage.
const (
	SuffrageVoter    = "voter"
	SuffrageNonvoter = "nonvoter"
	SuffrageStaging  = "staging"
)

// RaftPeer is one server of the Raft configuration.
type RaftPeer struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// RaftPeersResponse answers GET /v1/operator/raft/peers.
type RaftPeersResponse struct {
	Index uint64     `json:"index"` // configuration index
	Peers []RaftPeer `json:"peers"`
}

// RemovePeerRequest is the body of POST /v1/operator/raft/remove-peer. ID
// is the node name (the Raft server ID); Address may be given instead.
type RemovePeerRequest struct {
	ID      string `json:"id,omitempty"`
	Address string `json:"address,omitempty"`
}

// RemovePeerResponse reports the removed server.
type RemovePeerResponse struct {
	ID string `json:"id"`
}
