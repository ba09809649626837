package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// auditTimeout bounds proposing one audit record (restore, leadership).
const auditTimeout = 30 * time.Second

// proposeAudit proposes rec when every server reads its kind (the WAL
// format the leader writes has it: an older binary would not apply it),
// else logs why it is not recorded. See docs/operations.md, "Upgrades".
func (a *Agent) proposeAudit(ctx context.Context, rec wal.Record) {
	if a.walFormat() < wal.FormatV4 {
		a.logger.Warn("audit record not written: a server runs a build that does not read it (finish the upgrade)",
			"kind", rec.Kind.String())
		return
	}
	rec.Node, rec.Time = a.cfg.NodeName, a.now()
	ctx, cancel := context.WithTimeout(ctx, auditTimeout)
	defer cancel()
	if _, err := a.Propose(ctx, []wal.Record{rec}); err != nil {
		a.logger.Warn("audit record not written", "kind", rec.Kind.String(), "err", err)
	}
}

// recordLeadership proposes the leadership record of term, naming the
// previous leader the log knows and, from gossip, why it stopped leading.
func (a *Agent) recordLeadership(ctx context.Context, term uint64) {
	p := &wal.Leadership{Leader: a.cfg.NodeName}
	last, err := a.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindLeadership}, Limit: 1, Last: true})
	if err == nil && len(last) == 1 && last[0].Record.Leadership != nil {
		p.Previous = last[0].Record.Leadership.Leader
	}
	if p.Previous == a.cfg.NodeName {
		p.Previous = ""
	}
	if m, ok := a.members.lookup(p.Previous); ok && p.Previous != "" {
		switch m.status {
		case transport.MemberFailed, transport.MemberSuspect:
			p.Reason = fmt.Sprintf("previous leader %s", m.status)
		case transport.MemberLeft:
			p.Reason = "previous leader left"
		}
	}
	a.proposeAudit(ctx, wal.Record{Kind: wal.KindLeadership, Term: term, Leadership: p})
}

// restoreAudit is what the leader knows of a restore: the store before
// it and the snapshot.
type restoreAudit struct {
	snapshot     string // hex SHA-256
	fromRevision uint64
	records      uint64 // audit records before the restore
	scope        string
	via          string
}

// recordRestore appends the restore record after the rewind, so it lies
// outside the rewound range.
func (a *Agent) recordRestore(ctx context.Context, in restoreAudit) {
	to, _ := a.store.AppliedIndex()
	after, err := a.store.RecordCount()
	if err != nil {
		a.logger.Warn("restore audit: count records", "err", err)
	}
	p := &wal.Restore{Snapshot: in.snapshot, FromRevision: in.fromRevision, ToRevision: to,
		Scope: in.scope, Via: in.via}
	if in.records > after {
		p.Dropped = in.records - after
	}
	a.proposeAudit(ctx, wal.Record{Kind: wal.KindRestore, Restore: p})
}
