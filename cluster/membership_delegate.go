package cluster

import (
	"fmt"

	"github.com/hashicorp/memberlist"

	"github.com/yairfalse/ovi/transport"
)

// memberlist.Delegate: we gossip only our meta.

// NodeMeta returns our encoded nodeMeta.
func (m *membership) NodeMeta(limit int) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.metaBytes) > limit {
		m.logger.Error("node meta too large for gossip", "size", len(m.metaBytes), "limit", limit)
		return nil
	}
	return m.metaBytes
}

// NotifyMsg ignores user messages.
func (m *membership) NotifyMsg([]byte) {}

// GetBroadcasts has nothing to broadcast.
func (m *membership) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState has no user state.
func (m *membership) LocalState(bool) []byte { return nil }

// MergeRemoteState ignores user state.
func (m *membership) MergeRemoteState([]byte, bool) {}

// memberlist.EventDelegate: keep the table current.

// NotifyJoin records a node that came alive.
func (m *membership) NotifyJoin(n *memberlist.Node) { m.update(n, transport.MemberAlive) }

// NotifyUpdate records a node whose meta changed.
func (m *membership) NotifyUpdate(n *memberlist.Node) { m.update(n, transport.MemberAlive) }

// NotifyLeave records a node that failed, or left gracefully: memberlist
// does not say which in n.State, so the node's last meta does.
func (m *membership) NotifyLeave(n *memberlist.Node) { m.update(n, transport.MemberFailed) }

func (m *membership) update(n *memberlist.Node, status string) {
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		m.logger.Warn("ignoring gossip peer that is not an Ovi agent", "peer", n.Name, "addr", n.Address())
		return
	}
	if meta.Leaving {
		status = transport.MemberLeft
	}
	next := &member{meta: meta, gossipAddr: n.Address(), status: status}
	m.mu.Lock()
	prev := m.table[n.Name]
	m.table[n.Name] = next
	m.mu.Unlock()
	if prev != nil && *prev == *next {
		return // the same event again (a leaving node's meta update, then its leave)
	}
	m.logger.Info("member "+status, "member", n.Name, "gossip", n.Address(), "raft", meta.RaftAddr)
	m.signal()
}

// memberlist.MergeDelegate: refuse a merge that would put two agents with
// the same name into one cluster, or that brings in non-Ovi nodes. Both
// sides of a join run it, so the joining agent learns of the conflict.

// NotifyMerge checks the peers of the other side before a join merges.
func (m *membership) NotifyMerge(peers []*memberlist.Node) error {
	for _, p := range peers {
		if _, err := decodeMeta(p.Meta); err != nil {
			return fmt.Errorf("%w: %s at %s", err, p.Name, p.Address())
		}
		if err := m.checkName(p); err != nil {
			return err
		}
	}
	return nil
}

// checkName refuses p if its name is ours or an alive member's, at another
// address.
func (m *membership) checkName(p *memberlist.Node) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.Name == m.self.Name && p.Address() != m.gossipAddr {
		m.conflict = fmt.Errorf("%w: %q is used by the agent at %s (this agent is %s)", ErrDuplicateName, p.Name, p.Address(), m.gossipAddr)
		return m.conflict
	}
	if cur, ok := m.table[p.Name]; ok && cur.gossipAddr != p.Address() && cur.status == transport.MemberAlive {
		return fmt.Errorf("%w: %q is used by the agent at %s, refused %s", ErrDuplicateName, p.Name, cur.gossipAddr, p.Address())
	}
	return nil
}

// memberlist.ConflictDelegate: log name conflicts memberlist detects later.

// NotifyConflict logs a node claiming an existing node's name.
func (m *membership) NotifyConflict(existing, other *memberlist.Node) {
	m.logger.Error("duplicate node name in gossip", "name", existing.Name, "existing", existing.Address(), "other", other.Address())
	if existing.Name == m.self.Name {
		m.mu.Lock()
		if m.conflict == nil {
			m.conflict = fmt.Errorf("%w: %q is used by the agent at %s", ErrDuplicateName, other.Name, other.Address())
		}
		m.mu.Unlock()
	}
}

// memberlist.AliveDelegate: only Ovi agents may be members.

// NotifyAlive refuses peers without valid Ovi meta.
func (m *membership) NotifyAlive(p *memberlist.Node) error {
	if _, err := decodeMeta(p.Meta); err != nil {
		return fmt.Errorf("%w: %s", err, p.Name)
	}
	return nil
}
