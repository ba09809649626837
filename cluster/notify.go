package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/wal"
)

// eventKinds are the record kinds notify.FromRecord can turn into events:
// the notifier's tail walks the kind index for them only.
func eventKinds() []wal.Kind {
	return []wal.Kind{wal.KindDecided, wal.KindExecuted, wal.KindFailed, wal.KindLeadership, wal.KindCompaction}
}

// newNotifier builds the agent's notifier with the configured receivers;
// leaderLoop runs it once per term.
func (a *Agent) newNotifier() *notify.Notifier {
	n := notify.New(notify.Options{Log: notifyLog{a}, Logger: a.logger.With("component", "notify"),
		Metrics: notify.NewMetrics(a.prom.reg), Version: a.cfg.Version})
	n.SetReceivers(a.cfg.Notifications)
	return n
}

// notifyLog is the agent as the notifier's Log.
type notifyLog struct{ a *Agent }

func (l notifyLog) Records(after notify.Position, limit int) ([]notify.Committed, error) {
	recs, err := l.a.store.Replay(mvcc.ReplayFilter{Kinds: eventKinds(), Limit: limit,
		After: mvcc.Revision{Main: after.Main, Sub: after.Sub}})
	if err != nil {
		return nil, fmt.Errorf("cluster: notifications: %w", err)
	}
	out := make([]notify.Committed, len(recs))
	for i, r := range recs {
		out[i] = notify.Committed{Pos: notify.Position{Main: r.Revision.Main, Sub: r.Revision.Sub}, Record: r.Record}
	}
	return out, nil
}

func (l notifyLog) Changed() <-chan struct{} { return l.a.store.Changed() }

func (l notifyLog) Applied() uint64 { return l.a.store.CurrentRevision() }

func (l notifyLog) Progress(receiver string) (*wal.Delivery, error) {
	d, err := l.a.fsm.Delivery(receiver, 0)
	if err != nil {
		return nil, fmt.Errorf("cluster: notifications: %w", err)
	}
	return d, nil
}

// Propose applies rec through Raft on this node only while it leads:
// never forwarded, so a deposed leader's late record cannot land after
// its successor's (Raft orders an old term's entries before the new
// leader's barrier).
func (l notifyLog) Propose(ctx context.Context, rec wal.Record) error {
	if l.a.raft.State() != raft.Leader {
		return notify.ErrNotLeader
	}
	deadline, _ := ctx.Deadline() // zero without one: the default apply timeout
	_, err := l.a.applyLocal(deadline, l.a.stampLocal([]wal.Record{rec}))
	return err
}

func (l notifyLog) Recordable() bool { return l.a.walFormat() >= wal.FormatV5 }

// reloadNotifications hands the notifier the receivers of a reload. It
// restarts the term's senders even when nothing changed, so a rotated
// secret_file is read again; requests in flight finish and are recorded
// first, so a reload sends nothing twice.
func (a *Agent) reloadNotifications(rs []notify.Receiver) {
	a.notifier.SetReceivers(rs)
	a.logger.Info("notifications reloaded", "receivers", len(rs))
}

// notificationsError turns a receiver error of a configuration file into
// "file:line:col: message", locating the key with go-yaml's path.
func notificationsError(name string, data []byte, err error) error {
	var fe *notify.FieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	if line, col, ok := yamlPosition(data, fe.Path()); ok {
		return fmt.Errorf("%w: %s:%d:%d: %w", ErrConfig, name, line, col, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
}

// yamlPosition finds the node at path in data.
func yamlPosition(data []byte, path string) (int, int, bool) {
	p, err := yaml.PathString(path)
	if err != nil {
		return 0, 0, false
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return 0, 0, false
	}
	node, err := p.FilterFile(f)
	if err != nil || node == nil {
		return 0, 0, false
	}
	if m, ok := node.(*ast.MappingNode); ok && len(m.Values) > 0 { // a receiver: where its first key starts
		node = m.Values[0].Key
	}
	if node.GetToken() == nil || node.GetToken().Position == nil {
		return 0, 0, false
	}
	pos := node.GetToken().Position
	return pos.Line, pos.Column, true
}

// checkNotifications validates the receivers (flags included).
func (c *Config) checkNotifications() error {
	if err := notify.Validate(c.Notifications); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}
