package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/yairfalse/ovi/wal"
)

// Health reports whether the agent serves (GET /v1/health).
func (c *Client) Health(ctx context.Context) (HealthResponse, error) {
	var out HealthResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathHealth, nil, nil, &out)
}

// Status returns the agent's Raft status (GET /v1/status).
func (c *Client) Status(ctx context.Context) (StatusResponse, error) {
	var out StatusResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathStatus, nil, nil, &out)
}

// Members lists every node known through gossip (GET /v1/members).
func (c *Client) Members(ctx context.Context) (MembersResponse, error) {
	var out MembersResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathMembers, nil, nil, &out)
}

// Join makes the agent join the cluster of the given gossip addresses
// (POST /v1/join). Joining is idempotent.
func (c *Client) Join(ctx context.Context, addresses ...string) (JoinResponse, error) {
	var out JoinResponse
	in := JoinRequest{Addresses: addresses}
	return out, call(ctx, c, http.MethodPost, PathJoin, nil, &in, &out)
}

// Leave makes the agent leave the cluster gracefully and shut down
// (POST /v1/leave). The leader then removes it from the Raft configuration.
func (c *Client) Leave(ctx context.Context) (LeaveResponse, error) {
	var out LeaveResponse
	return out, call[struct{}](ctx, c, http.MethodPost, PathLeave, nil, nil, &out)
}

// RaftPeers returns the Raft configuration (GET /v1/operator/raft/peers).
func (c *Client) RaftPeers(ctx context.Context) (RaftPeersResponse, error) {
	var out RaftPeersResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathRaftPeers, nil, nil, &out)
}

// RemovePeer removes a server from the Raft configuration (forwarded to
// the leader) (POST /v1/operator/raft/remove-peer).
func (c *Client) RemovePeer(ctx context.Context, in RemovePeerRequest) (RemovePeerResponse, error) {
	var out RemovePeerResponse
	return out, call(ctx, c, http.MethodPost, PathRemovePeer, nil, &in, &out)
}

// State lists the live keys under a prefix at a revision (GET /v1/state).
func (c *Client) State(ctx context.Context, q StateQuery) (StateResponse, error) {
	var out StateResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathState, q.Values(), nil, &out)
}

// History lists the retained versions of one key (GET /v1/state/history).
func (c *Client) History(ctx context.Context, q HistoryQuery) (HistoryResponse, error) {
	var out HistoryResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathHistory, q.Values(), nil, &out)
}

// Diff lists the keys that differ between two revisions (GET /v1/state/diff).
func (c *Client) Diff(ctx context.Context, q DiffQuery) (DiffResponse, error) {
	var out DiffResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathDiff, q.Values(), nil, &out)
}

// WAL replays the audit log with filters (GET /v1/wal).
//
// With q.Limit set the answer is one call (More reports that records were
// left out). Without a limit the agent answers at most DefaultWALLimit
// records at a time, and WAL asks again after the last one until nothing
// is left, so the caller gets every matching record.
func (c *Client) WAL(ctx context.Context, q WALQuery) (WALResponse, error) {
	var out WALResponse
	for {
		var page WALResponse
		if err := call[struct{}](ctx, c, http.MethodGet, PathWAL, q.Values(), nil, &page); err != nil {
			return WALResponse{}, err
		}
		out.Revision, out.More = page.Revision, page.More
		out.Records = append(out.Records, page.Records...)
		if q.Limit > 0 || !page.More || len(page.Records) == 0 {
			if out.Records == nil {
				out.Records = []WALEntry{}
			}
			return out, nil
		}
		q.After = page.Records[len(page.Records)-1].Revision
	}
}

// Note proposes a KindNote record (POST /v1/wal/note) and returns its
// committed revision.
func (c *Client) Note(ctx context.Context, in NoteRequest) (ProposeResponse, error) {
	var out ProposeResponse
	return out, call(ctx, c, http.MethodPost, PathNote, nil, &in, &out)
}

// Propose commits records as one batch on the leader (the internal
// forwarding endpoint; the agent stamps Node and Term).
func (c *Client) Propose(ctx context.Context, in ProposeRequest) (ProposeResponse, error) {
	var out ProposeResponse
	return out, call(ctx, c, http.MethodPost, PathPropose, nil, &in, &out)
}

// ProposeBatch commits each proposal as its own batch on the leader, in
// one request (the internal batched forwarding endpoint): the answer holds
// one result per proposal, in order.
func (c *Client) ProposeBatch(ctx context.Context, in ProposeBatchRequest) (ProposeBatchResponse, error) {
	var out ProposeBatchResponse
	return out, call(ctx, c, http.MethodPost, PathProposeMany, nil, &in, &out)
}

// ReadIndex asks the leader for its confirmed commit index (internal).
func (c *Client) ReadIndex(ctx context.Context) (ReadIndexResponse, error) {
	var out ReadIndexResponse
	return out, call[struct{}](ctx, c, http.MethodGet, PathReadIndex, nil, nil, &out)
}

// Compact plans (DryRun) or commits a compaction (POST /v1/compact).
func (c *Client) Compact(ctx context.Context, in CompactRequest) (CompactResponse, error) {
	var out CompactResponse
	return out, call(ctx, c, http.MethodPost, PathCompact, nil, &in, &out)
}

// Metrics returns the Prometheus text exposition (GET /metrics).
func (c *Client) Metrics(ctx context.Context) (string, error) {
	var sb stringSink
	_, err := c.download(ctx, PathMetrics, &sb, true)
	return sb.String(), err
}

// Snapshot streams a consistent snapshot of the agent's store to w
// (GET /v1/snapshot) and returns the bytes written. Bounded by ctx only.
func (c *Client) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	return c.download(ctx, PathSnapshot, w, false)
}

// Restore replaces the cluster's state with a snapshot produced by Snapshot
// (POST /v1/snapshot/restore; forwarded to the leader, which installs it
// through Raft). Bounded by ctx only.
func (c *Client) Restore(ctx context.Context, r io.Reader) (RestoreResponse, error) {
	var out RestoreResponse
	req, err := c.request(ctx, http.MethodPost, PathRestore, nil, r)
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.send(req)
	if err != nil {
		return out, err
	}
	defer func() { _ = resp.Body.Close() }()
	if err := decodeJSON(resp.Body, &out); err != nil {
		return out, fmt.Errorf("transport: decode %s answer: %w", PathRestore, err)
	}
	return out, nil
}

// Follow streams audit records matching q as they are committed
// (GET /v1/wal/follow), calling fn for each, until ctx ends (returns nil),
// the server ends the stream, or fn returns an error (returned as is).
func (c *Client) Follow(ctx context.Context, q WALQuery, fn func(WALEntry) error) error {
	req, err := c.request(ctx, http.MethodGet, PathFollow, q.Values(), nil)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	err = readLines(resp.Body, PathFollow, func(l *FollowLine) error {
		if l.Error != nil {
			return l.Error
		}
		if l.Entry == nil {
			return nil
		}
		return fn(*l.Entry)
	})
	if err != nil && ctx.Err() != nil && !isAPIError(err) {
		return nil
	}
	return err
}

// Reconcile runs one reconcile on the leader (POST /v1/reconcile), calling
// fn for each record the run emits, in order. An error the run ends with
// is returned as *APIError.
func (c *Client) Reconcile(ctx context.Context, in ReconcileRequest, fn func(wal.Record) error) error {
	body, err := jsonReader(&in)
	if err != nil {
		return err
	}
	req, err := c.request(ctx, http.MethodPost, PathReconcile, nil, body)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	return readLines(resp.Body, PathReconcile, func(l *ReconcileLine) error {
		if l.Error != nil {
			return l.Error
		}
		if l.Record == nil {
			return nil
		}
		return fn(*l.Record)
	})
}

// download copies a GET response body to w; bounded by the client timeout
// when bounded is set, else by ctx only.
func (c *Client) download(ctx context.Context, path string, w io.Writer, bounded bool) (int64, error) {
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := c.request(ctx, http.MethodGet, path, url.Values{}, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.send(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("transport: read %s: %w", path, err)
	}
	return n, nil
}

func isAPIError(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr)
}
