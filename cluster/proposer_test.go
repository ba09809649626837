package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// recordsAt reads the batch committed at rev on a.
func recordsAt(t *testing.T, a *Agent, rev uint64) []wal.Record {
	t.Helper()
	waitFor(t, "the batch applied", 10*time.Second, func() bool { r, _ := a.store.AppliedIndex(); return r >= rev })
	got, err := a.store.Replay(mvcc.ReplayFilter{After: mvcc.Revision{Main: rev - 1, Sub: ^uint32(0)}})
	if err != nil {
		t.Fatal(err)
	}
	var out []wal.Record
	for _, ra := range got {
		if ra.Revision.Main == rev {
			out = append(out, ra.Record)
		}
	}
	return out
}

func forgedNote(text string, at time.Time, node string) wal.Record {
	return wal.Record{Kind: wal.KindNote, ResourceID: "forged", Time: at, Node: node, Note: &wal.Note{Text: text}}
}

func TestLeaderStampsForwardedRecordsWithTheAuthenticatedNodeAndItsClock(t *testing.T) {
	pki := newTestPKI(t)
	agents := startTLSThree(t, pki, ACLConfig{ReadToken: "rt", WriteToken: "wt"})
	leader, f := leaderOf(agents), followerOf(agents)
	c, err := transport.NewClient(leader.HTTPAddr(), transport.ClientOptions{TLS: pki.clientTLS(pki.issue(f.NodeName(), false)), Token: "wt"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := time.Now().UTC()
	recent := now.Add(-3 * time.Second)
	res, err := c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{
		forgedNote("back-dated", time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), "ovi-3"),
		forgedNote("from the future", now.Add(time.Hour), leader.NodeName()),
		forgedNote("recent", recent, "someone"),
	}})
	if err != nil {
		t.Fatalf("forwarded propose with a member's certificate: %v", err)
	}
	after := time.Now().UTC()
	recs := recordsAt(t, leader, res.Revision)
	if len(recs) != 3 {
		t.Fatalf("committed %d records", len(recs))
	}
	for _, r := range recs {
		if r.Node != f.NodeName() {
			t.Errorf("%q committed as node %q, want the sender %q", r.Note.Text, r.Node, f.NodeName())
		}
	}
	for _, r := range recs[:2] {
		if r.Time.Before(now) || r.Time.After(after) {
			t.Errorf("%q committed at %s, want the leader's clock in [%s, %s]", r.Note.Text, r.Time, now, after)
		}
	}
	if !recs[2].Time.Equal(recent) {
		t.Errorf("a time 3 s back (inside the window) became %s, want %s", recs[2].Time, recent)
	}
	var m dto.Metric
	if err := leader.peers.restamped.Write(&m); err != nil || m.GetCounter().GetValue() != 2 {
		got := m.GetCounter().GetValue()
		t.Errorf("ovi_records_restamped_total = %v, want 2", got)
	}
}

func TestPlaintextForwardingNamesAMember(t *testing.T) {
	agents := startThree(t)
	leader := leaderOf(agents)
	c, err := transport.NewClient(leader.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{forgedNote("x", time.Now(), "ovi-9")}})
	if apiCode(err) != transport.CodeForbidden || !strings.Contains(err.Error(), `"ovi-9", which is not a server`) {
		t.Fatalf("forwarded records of a non-member: %v", err)
	}
	_, err = c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{forgedNote("x", time.Now(), "n1"), forgedNote("y", time.Now(), "n2")}})
	if apiCode(err) != transport.CodeBadRequest {
		t.Fatalf("a forwarded batch naming two nodes: %v", err)
	}
	res, err := c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{forgedNote("old", time.Now().Add(-time.Hour), followerOf(agents).NodeName())}})
	if err != nil {
		t.Fatal(err)
	}
	if r := recordsAt(t, leader, res.Revision); len(r) != 1 || time.Since(r[0].Time) > time.Minute {
		t.Fatalf("a back-dated record committed as %+v", r)
	}
}
