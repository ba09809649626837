package cluster

import (
	"context"
	"fmt"
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
	seen := map[uint64]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("proposal %d: %v", i, errs[i])
		}
		if j, dup := seen[revs[i]]; dup {
			t.Fatalf("proposals %d and %d share revision %d: each must be its own entry", j, i, revs[i])
		}
		seen[revs[i]] = i
	}
	return revs
}

// 64 proposals at once through a follower go to the leader in fewer
// requests (the batched wire, which the leader's gossip meta offers), each
// still its own entry with its own revision, stamped with the follower's
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
	for i, rev := range revs {
		r := recordsAt(t, leader, rev)
		if len(r) != 1 || r[0].Note.Text != fmt.Sprint("batched-", i) || r[0].Node != f.NodeName() {
			t.Fatalf("revision %d holds %+v, want proposal %d from %s alone", rev, r, i, f.NodeName())
		}
	}
	f.members.mu.Lock()
	f.members.table[leader.NodeName()].meta.Caps = "" // what an older leader gossips
	f.members.mu.Unlock()
	proposeConcurrently(t, f, "single-", 8)
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
	if r := recordsAt(t, leader, out.Results[3].Revision); len(r) != 1 || r[0].Note.Text != "last" {
		t.Fatalf("the last proposal's revision holds %+v", r)
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
