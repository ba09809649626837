package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// PathOperatorHealth is the cluster's health, per server (Consul's
// `operator autopilot health` shape).
const PathOperatorHealth = "/v1/operator/health"

// Readiness checks (ReadyCheck.Name).
const (
	CheckLeader   = "leader"    // a leader is known
	CheckCaughtUp = "caught_up" // the store is within max_lag entries of the commit index
	CheckStore    = "store"     // the store is open and the data dir takes a synced write
	CheckDisk     = "disk"      // no disk error in the last DiskErrorWindow
)

// ReadyResponse answers GET /v1/health?ready: 200 when every check passes,
// 503 (with the same body) otherwise.
type ReadyResponse struct {
	Node               string       `json:"node"`
	Ready              bool         `json:"ready"`
	State              string       `json:"state"` // Raft state
	Leader             string       `json:"leader,omitempty"`
	Term               uint64       `json:"term"`
	LastIndex          uint64       `json:"last_index"`
	CommitIndex        uint64       `json:"commit_index"`
	AppliedIndex       uint64       `json:"applied_index"`
	LastContactSeconds float64      `json:"last_contact_seconds"` // since the leader was heard from: 0 on the leader, -1 never
	LastDiskError      *DiskError   `json:"last_disk_error,omitempty"`
	Checks             []ReadyCheck `json:"checks"`
}

// ReadyCheck is one readiness check.
type ReadyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// DiskError is the last failed disk write the agent saw.
type DiskError struct {
	At      string `json:"at"` // RFC 3339, UTC
	Message string `json:"message"`
}

// OperatorHealthResponse answers GET /v1/operator/health: every server of
// the Raft configuration as the answering node sees it.
type OperatorHealthResponse struct {
	Healthy          bool           `json:"healthy"`           // every server healthy
	FailureTolerance int            `json:"failure_tolerance"` // healthy voters beyond a quorum
	Leader           string         `json:"leader,omitempty"`
	Servers          []ServerHealth `json:"servers"`
}

// ServerHealth is one server of OperatorHealthResponse.
type ServerHealth struct {
	Name        string   `json:"name"`
	Address     string   `json:"address"` // Raft address
	SerfStatus  string   `json:"serf_status"`
	Version     string   `json:"version,omitempty"`
	Leader      bool     `json:"leader"`
	Voter       bool     `json:"voter"`
	Healthy     bool     `json:"healthy"` // alive in gossip, answered, ready
	LastContact float64  `json:"last_contact_seconds"`
	LastTerm    uint64   `json:"last_term"`
	LastIndex   uint64   `json:"last_index"`
	Applied     uint64   `json:"applied_index"`
	Failing     []string `json:"failing,omitempty"` // failed checks, or why the server did not answer
}

// Ready asks the agent for its readiness (GET /v1/health?ready); maxLag 0
// keeps the agent's default. A not-ready answer (503) is returned, not an
// error.
func (c *Client) Ready(ctx context.Context, maxLag uint64) (ReadyResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	q := url.Values{"ready": {""}}
	if maxLag > 0 {
		q.Set("max_lag", strconv.FormatUint(maxLag, 10))
	}
	req, err := c.request(ctx, http.MethodGet, PathHealth, q, nil)
	if err != nil {
		return ReadyResponse{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return ReadyResponse{}, fmt.Errorf("transport: GET %s: %w", PathHealth, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return ReadyResponse{}, decodeError(resp)
	}
	var out ReadyResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return ReadyResponse{}, fmt.Errorf("transport: decode %s?ready answer (status %s): %w", PathHealth, resp.Status, err)
	}
	if out.Node == "" {
		return ReadyResponse{}, fmt.Errorf("transport: %s?ready answer (status %s) names no node", PathHealth, resp.Status)
	}
	return out, nil
}

// OperatorHealth returns the cluster's health per server (GET
// /v1/operator/health).
func (c *Client) OperatorHealth(ctx context.Context) (OperatorHealthResponse, error) {
	var out OperatorHealthResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathOperatorHealth, nil, nil, &out)
}
