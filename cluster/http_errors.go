package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// errorCode is one row of the table from the errors the cluster returns to
// the API's error codes; transport.StatusForCode gives each code its HTTP
// status. Rows marked fromLeader also read the other way: a follower turns
// the leader's answer to a forwarded proposal with that code back into the
// error (errors.Is works across the hop).
type errorCode struct {
	err        error
	code       string
	fromLeader bool
}

// errorCodes is the one mapping of the HTTP layer, first match wins. An
// unknown outcome comes first: whatever else the error wraps (a deadline,
// a shutdown), a proposal that may have committed must never read as one
// that did not.
func errorCodes() []errorCode {
	return []errorCode{
		{ErrOutcomeUnknown, transport.CodeOutcomeUnknown, true},
		{ErrInvalidProposal, transport.CodeBadRequest, true},
		{ErrForeignOrigin, transport.CodeForbidden, false},
		{ErrNotLeader, transport.CodeNotLeader, true},
		{ErrNoLeader, transport.CodeNoLeader, true},
		{ErrProposalTimeout, transport.CodeTimeout, true},
		{fsm.ErrStoreFailed, transport.CodeInternal, false},
		{mvcc.ErrCompacted, transport.CodeCompacted, false},
		{mvcc.ErrFutureRevision, transport.CodeFutureRevision, false},
		{mvcc.ErrKeyNotFound, transport.CodeNotFound, false},
		{wal.ErrInvalidRecord, transport.CodeBadRequest, false},
		{ErrConfig, transport.CodeBadRequest, false},
		{mvcc.ErrInvalidInput, transport.CodeBadRequest, false},
		{ErrDuplicateName, transport.CodeConflict, false},
		{raft.ErrNotLeader, transport.CodeNotLeader, false},
		{context.DeadlineExceeded, transport.CodeTimeout, false},
		{ErrShutdown, transport.CodeUnavailable, false},
		{mvcc.ErrClosed, transport.CodeUnavailable, false},
		{raft.ErrRaftShutdown, transport.CodeUnavailable, false},
	}
}

// toAPIError is the API error for err: the code of the first row it
// matches, with err's text as the message; an *transport.APIError built
// by a handler (or passed through from the leader) as it is; anything
// else is internal.
func toAPIError(err error) *transport.APIError {
	for _, row := range errorCodes() {
		if errors.Is(err, row.err) {
			return &transport.APIError{Code: row.code, Message: err.Error()}
		}
	}
	var apiErr *transport.APIError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return &transport.APIError{Code: transport.CodeInternal, Message: err.Error()}
}

// forwardError reads the failure of a proposal forwarded to the leader at
// addr. The leader's answer becomes the cluster error of its code (the
// fromLeader rows), or stays the leader's *transport.APIError. Without an
// answer: a failed dial never sent the request (ErrNoLeader: retried once
// a leader is known again); any other failure (the connection broke, the
// deadline passed while waiting) came after the request may have reached
// the leader, so the outcome is unknown.
func forwardError(addr string, err error) error {
	var apiErr *transport.APIError
	if errors.As(err, &apiErr) {
		for _, row := range errorCodes() {
			if row.fromLeader && row.code == apiErr.Code {
				return fmt.Errorf("%w: the leader at %s answered: %s", row.err, addr, apiErr.Message)
			}
		}
		return apiErr
	}
	if retryable(err) {
		return fmt.Errorf("%w: the leader at %s: %w", ErrNoLeader, addr, err)
	}
	return fmt.Errorf("%w: forwarded to the leader at %s: %w", ErrOutcomeUnknown, addr, err)
}
