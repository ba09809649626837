package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// proposeConcurrently proposes n notes through a at once and returns the
// revision of each (text "<prefix><i>").
func proposeConcurrently(t *testing.T, a *Agent, prefix string, n int) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	revs := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { revs[i], errs[i] = a.Propose(ctx, []wal.Record{note("k", fmt.Sprint(prefix, i))}) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("proposal %d: %v", i, errs[i])
		}
	}
	return revs
}

// checkCommittedAt checks that every revision in revs holds exactly the
// notes of the proposals answered with it ("<prefix><i>", proposed by
// node), once each: proposals merged into one entry share its revision.
func checkCommittedAt(t *testing.T, a *Agent, prefix, node string, revs []uint64) {
	t.Helper()
	want := map[uint64][]string{}
	for i, rev := range revs {
		want[rev] = append(want[rev], fmt.Sprint(prefix, i))
	}
	for rev, texts := range want {
		var got []string
		for _, r := range recordsAt(t, a, rev) {
			if r.Node != node {
				t.Fatalf("revision %d holds a note from %q, want %q", rev, r.Node, node)
			}
			got = append(got, r.Note.Text)
		}
		slices.Sort(got)
		slices.Sort(texts)
		if !slices.Equal(got, texts) {
			t.Fatalf("revision %d holds %v, want the proposals answered with it: %v", rev, got, texts)
		}
	}
}

// 64 proposals at once through a follower go to the leader in fewer
// requests (the batched wire, which the leader's gossip meta offers),
// each answered with the revision of the entry that holds it (the
// leader's merger may put several in one), stamped with the follower's
// name. With a leader whose meta does not list the capability (an older
// release) the follower sends one request a proposal, on the old wire.
func TestFollowerCoalescesForwardedProposals(t *testing.T) {
	agents := startThree(t)
	leader, f := leaderOf(agents), followerOf(agents)
	const n = 64
	revs := proposeConcurrently(t, f, "batched-", n)
	reqs, props := f.forwards.count(wireBatch)
	if props != n || reqs >= n {
		t.Fatalf("%g proposals forwarded in %g batched requests, want %d in fewer", props, reqs, n)
	}
	checkCommittedAt(t, leader, "batched-", f.NodeName(), revs)
	f.members.mu.Lock()
	f.members.table[leader.NodeName()].meta.Caps = "" // what an older leader gossips
	f.members.mu.Unlock()
	checkCommittedAt(t, leader, "single-", f.NodeName(), proposeConcurrently(t, f, "single-", 8))
	if reqs, props := f.forwards.count(wireSingle); reqs != 8 || props != 8 {
		t.Fatalf("to a leader without %s: %g proposals in %g requests, want 8 in 8", capProposeBatch, props, reqs)
	}
	if _, props2 := f.forwards.count(wireBatch); props2 != n {
		t.Fatalf("batched proposals went from %d to %g with a leader that does not serve them", n, props2)
	}
}

// The leader answers each proposal of a batch on its own: a foreign
// origin and an invalid record are refused with the code they would get
// alone, the others commit; a batch without proposals, or sent to a
// follower, fails as a whole.
func TestLeaderAnswersEachProposalOfABatch(t *testing.T) {
	agents := startThree(t)
	leader, f := leaderOf(agents), followerOf(agents)
	c, err := transport.NewClient(leader.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := transport.ProposeBatchRequest{Proposals: []transport.ProposeRequest{
		{Records: []wal.Record{forgedNote("first", time.Now(), f.NodeName())}},
		{Records: []wal.Record{forgedNote("foreign", time.Now(), "ovi-9")}},
		{Records: []wal.Record{{Kind: wal.KindNote, ResourceID: "bad", Node: f.NodeName(), Time: time.Now()}}}, // a note without its text
		{Records: []wal.Record{forgedNote("last", time.Now(), f.NodeName())}},
	}}
	out, err := c.ProposeBatch(ctx, in)
	if err != nil || len(out.Results) != 4 {
		t.Fatalf("batch: %+v, %v", out, err)
	}
	wantCodes := []string{"", transport.CodeForbidden, transport.CodeBadRequest, ""}
	for i, res := range out.Results {
		switch {
		case wantCodes[i] == "" && (res.Error != nil || res.Revision == 0):
			t.Errorf("proposal %d: %+v, want a revision", i, res)
		case wantCodes[i] != "" && (res.Error == nil || res.Error.Code != wantCodes[i] || res.Revision != 0):
			t.Errorf("proposal %d: %+v, want %s", i, res, wantCodes[i])
		}
	}
	var texts []string
	for _, rev := range []uint64{out.Results[0].Revision, out.Results[3].Revision} {
		for _, r := range recordsAt(t, leader, rev) {
			texts = append(texts, r.Note.Text)
		}
		if out.Results[0].Revision == out.Results[3].Revision {
			break // merged into one entry
		}
	}
	if slices.Sort(texts); !slices.Equal(texts, []string{"first", "last"}) {
		t.Fatalf("the committed proposals' revisions hold %v, want first and last once each", texts)
	}
	if _, err := c.ProposeBatch(ctx, transport.ProposeBatchRequest{}); apiCode(err) != transport.CodeBadRequest {
		t.Fatalf("an empty batch: %v, want bad_request", err)
	}
	fc, err := transport.NewClient(f.HTTPAddr(), transport.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fc.ProposeBatch(ctx, in); apiCode(err) != transport.CodeNotLeader {
		t.Fatalf("a batch sent to a follower: %v, want not_leader", err)
	}
}
