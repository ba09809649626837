package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// compaction is a request to compact, in the leader's terms: how much key
// history and audit log stay, and the policy text its record carries.
type compaction struct {
	revision      uint64        // keep history from this revision on (0: by keep or keepRevisions)
	keep          time.Duration // keep this much history
	keepRevisions uint64        // keep the last N revisions
	auditKeep     time.Duration // drop audit records older than this (0: the audit log stays whole)
	policy        string
	// clampAudit makes an audit target past the key history's clamp to
	// it (the retention schedule) instead of failing (an operator).
	clampAudit bool
}

// compactionOf validates an API request: exactly one of revision, keep and
// keep_revisions, and well-formed durations.
func compactionOf(in *transport.CompactRequest) (compaction, error) {
	var c compaction
	var policy []string
	set := 0
	if in.Revision > 0 {
		set++
		c.revision = in.Revision
		policy = append(policy, fmt.Sprintf("revision %d", in.Revision))
	}
	if in.Keep != "" {
		set++
		d, err := ParseSpan(in.Keep)
		if err != nil {
			return c, transport.Errorf(transport.CodeBadRequest, "compact: keep: %v", err)
		}
		c.keep = d
		policy = append(policy, "keep "+Span(d).String())
	}
	if in.KeepRevisions > 0 {
		set++
		c.keepRevisions = in.KeepRevisions
		policy = append(policy, fmt.Sprintf("keep-revisions %d", in.KeepRevisions))
	}
	if set != 1 {
		return c, transport.Errorf(transport.CodeBadRequest, "compact: give exactly one of revision, keep and keep_revisions (got %d)", set)
	}
	if in.AuditKeep != "" {
		d, err := ParseSpan(in.AuditKeep)
		if err != nil {
			return c, transport.Errorf(transport.CodeBadRequest, "compact: audit_keep: %v", err)
		}
		c.auditKeep = d
		policy = append(policy, "audit-keep "+Span(d).String())
	}
	c.policy = strings.Join(policy, ", ")
	return c, nil
}

// handleCompact serves POST /v1/compact: a plan with dry_run (read
// token), else the plan and the compaction record committed (write
// token). Followers hand the request to the leader, which alone knows the
// reads in flight on every node.
func (a *Agent) handleCompact(w http.ResponseWriter, r *http.Request) error {
	var in transport.CompactRequest
	if e := transport.DecodeBody(w, r, &in); e != nil {
		return e
	}
	if !in.DryRun {
		if e := a.authorize(r, scopeWrite); e != nil {
			a.logger.Warn("api request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr,
				"code", e.Code, "reason", e.Message)
			return e
		}
	}
	c, err := compactionOf(&in)
	if err != nil {
		return err
	}
	var out transport.CompactResponse
	if a.IsLeader() {
		out, err = a.compact(r.Context(), c, in.DryRun)
	} else {
		out, err = a.forwardCompact(r.Context(), in)
	}
	if err != nil {
		return err
	}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// forwardCompact relays a compaction request to the leader.
func (a *Agent) forwardCompact(ctx context.Context, in transport.CompactRequest) (transport.CompactResponse, error) {
	_, leader, err := a.leaderClient()
	if err != nil {
		return transport.CompactResponse{}, err
	}
	return leader.Compact(ctx, in)
}

// compact plans c on the leader and, unless dryRun or the plan drops
// nothing, commits it as one compaction record.
func (a *Agent) compact(ctx context.Context, c compaction, dryRun bool) (transport.CompactResponse, error) {
	plan, err := a.planCompaction(ctx, c, a.now())
	if err != nil {
		return transport.CompactResponse{}, err
	}
	out := transport.CompactResponse{Plan: plan}
	if dryRun || plan.Nothing() {
		return out, nil
	}
	rec := wal.Record{Kind: wal.KindCompaction, Compaction: &wal.Compaction{Revision: plan.Revision, Policy: plan.Policy}}
	if plan.Audit > plan.AuditCompacted {
		rec.Compaction.Audit = plan.Audit
	}
	if a.walFormat() < wal.FormatV5 && rec.Compaction.Audit == 0 {
		rec.Compaction.Policy = "" // a node reads format 4: a history-only compaction still says everything it must
	}
	if out.Revision, err = a.Propose(ctx, []wal.Record{rec}); err != nil {
		return transport.CompactResponse{}, err
	}
	a.logger.Info("compaction committed", "revision", out.Revision, "history_from", plan.Revision,
		"audit_from", plan.Audit, "policy", plan.Policy)
	return out, nil
}

// planCompaction turns c into revisions at now and asks the store what
// they drop.
func (a *Agent) planCompaction(ctx context.Context, c compaction, now time.Time) (transport.CompactPlan, error) {
	cur, compacted := a.store.CurrentRevision(), a.store.CompactedRevision()
	plan := transport.CompactPlan{Policy: c.policy}
	kv, err := a.historyTarget(c, cur, compacted, now, &plan)
	if err != nil {
		return plan, err
	}
	audit, err := a.auditTarget(c, max(kv, compacted), now, &plan)
	if err != nil {
		return plan, err
	}
	kv, audit = a.holdForReads(ctx, kv, audit, now, &plan)
	kv = max(kv, compacted) // a read below the compaction point holds nothing more back
	if audit > 0 {
		audit = max(audit, a.store.AuditCompactedRevision())
	}
	p, err := a.store.PlanCompaction(kv, audit)
	if err != nil {
		return plan, compactError(err)
	}
	fillPlan(&plan, &p)
	return plan, nil
}

// historyTarget is the revision key history is kept from (0: no further
// than now): an explicit revision is checked, keep and keepRevisions
// choose one and stop at what is already compacted.
func (a *Agent) historyTarget(c compaction, cur, compacted uint64, now time.Time, plan *transport.CompactPlan) (uint64, error) {
	switch {
	case c.revision > cur:
		return 0, transport.Errorf(transport.CodeFutureRevision, "compact: revision %d is past the current revision %d", c.revision, cur)
	case c.revision > 0 && c.revision < compacted:
		return 0, transport.Errorf(transport.CodeCompacted, "compact: revision %d is already compacted (history is kept from revision %d)", c.revision, compacted)
	case c.revision > 0:
		return c.revision, nil
	case c.keepRevisions > 0:
		if c.keepRevisions >= cur {
			return 0, nil
		}
		return max(cur-c.keepRevisions+1, compacted), nil
	}
	plan.Cutoff = now.Add(-c.keep)
	rev, err := a.revisionAt(plan.Cutoff)
	return max(rev, compacted), err
}

// auditTarget is the revision audit records are kept from (0: whole). It
// never passes the key history kept (from kvFrom): the audit log is what
// maps times to those revisions.
func (a *Agent) auditTarget(c compaction, kvFrom uint64, now time.Time, plan *transport.CompactPlan) (uint64, error) {
	if c.auditKeep == 0 {
		return 0, nil
	}
	plan.AuditCutoff = now.Add(-c.auditKeep)
	rev, err := a.revisionAt(plan.AuditCutoff)
	if err != nil {
		return 0, err
	}
	if rev > kvFrom {
		if !c.clampAudit {
			return 0, transport.Errorf(transport.CodeBadRequest,
				"compact: audit-keep %s would drop audit records up to revision %d, past the key history kept from revision %d (times map to revisions through the audit log): keep at least as much audit log as history",
				Span(c.auditKeep), rev, kvFrom)
		}
		rev = kvFrom
	}
	return max(rev, a.store.AuditCompactedRevision()), nil
}

// revisionAt is the revision of the last audit record at or before t (0
// when there is none): reads at it see the state as of t.
func (a *Agent) revisionAt(t time.Time) (uint64, error) {
	recs, err := a.store.Replay(mvcc.ReplayFilter{Until: t.Add(time.Nanosecond), Limit: 1, Last: true})
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	return recs[0].Revision.Main, nil
}

// compactError maps the store's refusals to their API codes.
func compactError(err error) error {
	switch {
	case errors.Is(err, mvcc.ErrFutureRevision):
		return transport.Errorf(transport.CodeFutureRevision, "compact: %v", err)
	case errors.Is(err, mvcc.ErrCompacted):
		return transport.Errorf(transport.CodeCompacted, "compact: %v", err)
	}
	return err
}

// fillPlan copies the store's plan into the API's.
func fillPlan(plan *transport.CompactPlan, p *mvcc.CompactionPlan) {
	usage := func(u mvcc.Usage) transport.CompactUsage {
		return transport.CompactUsage{Keys: u.Keys, Versions: u.Versions, KVBytes: u.KVBytes, Records: u.Records, AuditBytes: u.AuditBytes}
	}
	plan.Current, plan.Compacted, plan.AuditCompacted = p.Current, p.Compacted, p.AuditCompacted
	plan.Revision, plan.Audit, plan.OldestKept = p.Revision, p.Audit, p.OldestKept
	plan.Dropped, plan.Kept = usage(p.Dropped), usage(p.Kept)
}
