package cluster

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/cluster/notify/notifytest"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// TestRestoreNeverReusesAnEventID: a backup of a longer history restored
// into a new three-node cluster (docs/operations: "start a new cluster and
// ovi snapshot restore it"), whose own Raft log is far behind the
// snapshot's revision. The cluster goes on after the snapshot's last
// revision: the next decision is stored at a revision no record of the
// restored history has, on every node (the followers caught up from the
// snapshot), and its event reaches the receiver under that id; after the
// leader stops, the new leader — a node that was restored from the
// snapshot — does the same. No id reaches the receiver for two different
// records, and none of the restored history: the snapshot records every
// event of it delivered to "ops", and the notifier resumes from the
// restored progress, as a new leader would (it used to go on from its own
// position and send the whole backup's history again).
func TestRestoreNeverReusesAnEventID(t *testing.T) {
	snap, history := longerHistory(t, 40)
	rcv := notifytest.Start(t, "s3cret")
	agents := startThreeNotifying(t, notify.Receiver{Name: "ops", URL: rcv.URL(), Secret: "s3cret"})
	leader := waitLeaderReady(t, agents)
	if applied, _ := leader.store.AppliedIndex(); applied >= history {
		t.Fatalf("fixture: the new cluster is at revision %d, not behind the snapshot's %d", applied, history)
	}
	c, err := transport.NewClient(leader.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Restore(ctx, bytes.NewReader(snap)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	rev := decideAfter(ctx, t, leader, agents, rcv, "after-restore", history)
	var rest []*Agent
	for _, a := range agents {
		if a != leader {
			rest = append(rest, a)
		}
	}
	if err := leader.Shutdown(ctx); err != nil {
		t.Fatalf("stop the leader: %v", err)
	}
	next := waitLeaderReady(t, rest)
	decideAfter(ctx, t, next, rest, rcv, "after-failover", rev)
	checkIDsUnique(t, rcv.Requests())
	for _, q := range rcv.Requests() {
		if q.Event.Node == "src" {
			t.Errorf("event %s (%s %s) of the restored history sent again: the snapshot records it delivered",
				q.Event.ID, q.Event.Type, q.Event.Decision)
		}
	}
}

// longerHistory is the snapshot of a one-node cluster that recorded n
// decisions (each its own entry) and delivered every event to its own
// receiver "ops", and the snapshot's revision.
func longerHistory(t *testing.T, n int) ([]byte, uint64) {
	t.Helper()
	rcv := notifytest.Start(t, "s3cret")
	cfg := testConfig(t, "src", 1)
	cfg.Notifications = []notify.Receiver{{Name: "ops", URL: rcv.URL(), Secret: "s3cret"}}
	src := startAgent(t, cfg)
	waitLeaderReady(t, []*Agent{src})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last uint64
	for i := range n {
		rev, err := src.Propose(ctx, []wal.Record{decision(fmt.Sprintf("src-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		last = rev
	}
	waitFor(t, "every event of the history delivered and recorded", 20*time.Second, func() bool {
		d, _ := src.fsm.Delivery("ops", 0)
		return d != nil && d.Revision >= last
	})
	sn, err := src.store.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, err = sn.WriteTo(&buf)
	_ = sn.Close()
	if err != nil {
		t.Fatal(err)
	}
	applied, _ := src.store.AppliedIndex()
	if err := src.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), applied
}

// startThreeNotifying is startThree with every agent configured to send
// to r (whichever leads sends).
func startThreeNotifying(t *testing.T, r notify.Receiver) []*Agent {
	t.Helper()
	cfg := func(name string, join ...string) Config {
		c := testConfig(t, name, 3, join...)
		c.Notifications = []notify.Receiver{r}
		return c
	}
	a1 := startAgent(t, cfg("n1"))
	a2 := startAgent(t, cfg("n2", a1.GossipAddr()))
	a3 := startAgent(t, cfg("n3", a1.GossipAddr()))
	return []*Agent{a1, a2, a3}
}

// decision is a create decision with id: an event (drift.detected).
func decision(id string) wal.Record {
	return wal.Record{Kind: wal.KindDecided, ResourceID: "i-" + id, CycleID: "c-" + id, DecisionID: id,
		Decided: &wal.Decided{Action: wal.ActionCreate, Drift: wal.DriftMissing, ResourceKind: wal.ResourceInstance,
			Reason: "Create: 1 missing", Group: "web", Count: 1}}
}

// decideAfter commits decision id on leader and checks it landed after
// revision floor: every node holds it at the revision the commit
// returned, and the receiver got its event under that id.
func decideAfter(ctx context.Context, t *testing.T, leader *Agent, agents []*Agent, rcv *notifytest.Receiver,
	id string, floor uint64) uint64 {
	t.Helper()
	rev, err := leader.Propose(ctx, []wal.Record{decision(id)})
	if err != nil {
		t.Fatalf("propose %s: %v", id, err)
	}
	if rev <= floor {
		t.Errorf("%s committed at revision %d, inside the history up to %d: revision and event id %s already used",
			id, rev, floor, wal.EventID(rev, 0))
	}
	for _, a := range agents {
		waitFor(t, fmt.Sprintf("%s on %s at revision %d", id, a.cfg.NodeName, rev), 10*time.Second, func() bool {
			return decisionAt(t, a, rev) == id
		})
	}
	err = rcv.Wait(10*time.Second, func(reqs []notifytest.Request) bool {
		for _, q := range reqs {
			if q.Event.ID == wal.EventID(rev, 0) && q.Event.Decision == id {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("event %s of %s not received: %v", wal.EventID(rev, 0), id, err)
	}
	return rev
}

// decisionAt is the decision id of the first decided record of a's
// store at revision rev, "" if there is none.
func decisionAt(t *testing.T, a *Agent, rev uint64) string {
	t.Helper()
	recs, err := a.store.Replay(mvcc.ReplayFilter{Kinds: []wal.Kind{wal.KindDecided}, Limit: 1,
		After: mvcc.Revision{Main: rev - 1, Sub: math.MaxUint32}})
	if err != nil {
		t.Fatalf("replay %s: %v", a.cfg.NodeName, err)
	}
	if len(recs) == 0 || recs[0].Revision.Main != rev {
		return ""
	}
	return recs[0].Record.DecisionID
}

// checkIDsUnique fails t for an id the receiver got for two records.
func checkIDsUnique(t *testing.T, reqs []notifytest.Request) {
	t.Helper()
	first := map[string]notify.Event{}
	for _, q := range reqs {
		ev := q.Event
		was, ok := first[ev.ID]
		if !ok {
			first[ev.ID] = ev
			continue
		}
		if was.Type != ev.Type || was.Decision != ev.Decision || was.Node != ev.Node || was.Term != ev.Term {
			t.Errorf("event id %s sent for two records: %s %s by %s (term %d), then %s %s by %s (term %d)", ev.ID,
				was.Type, was.Decision, was.Node, was.Term, ev.Type, ev.Decision, ev.Node, ev.Term)
		}
	}
}
