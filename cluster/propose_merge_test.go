package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/yairfalse/ovi/fsm"
	"github.com/yairfalse/ovi/wal"
)

// fakeRaft records the entries a merger appends and answers each with the
// next revision (or err), after release is closed.
type fakeRaft struct {
	mu      sync.Mutex
	entries [][]byte
	arrived chan int // the record count of each entry, as it is appended
	release chan struct{}
	err     error
	resp    any // the FSM's answer; nil: fsm.ApplyResult{Revision: entry number}
}

func newFakeRaft() *fakeRaft {
	return &fakeRaft{arrived: make(chan int, 1024), release: make(chan struct{})}
}

func (r *fakeRaft) Apply(cmd []byte, _ time.Duration) raft.ApplyFuture {
	n := -1 // an undecodable batch
	if b, err := wal.DecodeBatch(cmd); err == nil {
		n = len(b.Records)
	}
	r.mu.Lock()
	r.entries = append(r.entries, cmd)
	rev := uint64(len(r.entries))
	r.mu.Unlock()
	r.arrived <- n
	<-r.release
	resp := r.resp
	if resp == nil {
		resp = fsm.ApplyResult{Revision: rev}
	}
	return fakeFuture{err: r.err, resp: resp}
}

type fakeFuture struct {
	err  error
	resp any
}

func (f fakeFuture) Error() error  { return f.err }
func (f fakeFuture) Index() uint64 { return 0 }
func (f fakeFuture) Response() any { return f.resp }

// texts decodes entry i's notes.
func (r *fakeRaft) texts(t *testing.T, i int) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := wal.DecodeBatch(r.entries[i])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rec := range b.Records {
		out = append(out, rec.Note.Text)
	}
	return out
}

type merged struct {
	rev uint64
	err error
}

// proposeNotes queues one proposal of the given notes and returns where its
// answer will arrive.
func proposeNotes(t *testing.T, m *merger, deadline time.Time, format byte, texts ...string) <-chan merged {
	t.Helper()
	recs := make([]wal.Record, len(texts))
	for i, text := range texts {
		recs[i] = note("k", text)
		recs[i].Time = time.Now()
	}
	frames, err := wal.AppendFrames(nil, recs, format)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan merged, 1)
	go func() {
		rev, err := m.propose(deadline, format, frames, len(recs))
		ch <- merged{rev, err}
	}()
	return ch
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// While an entry is in flight the proposals that arrive wait, then go in
// one entry, in the order they came, and share its revision; the counters
// say how many entries carried how many proposals.
func TestMergerMergesTheProposalsThatWait(t *testing.T) {
	r := newFakeRaft()
	m := newMerger(r, prometheus.NewRegistry())
	first := proposeNotes(t, m, time.Time{}, wal.FormatCurrent, "0")
	if n := <-r.arrived; n != 1 {
		t.Fatalf("the first proposal went in an entry of %d records, want alone", n)
	}
	var waiting []<-chan merged
	var want []string
	for i := 1; i <= 50; i++ {
		texts := []string{fmt.Sprint(i, "a"), fmt.Sprint(i, "b")}
		waiting = append(waiting, proposeNotes(t, m, time.Time{}, wal.FormatCurrent, texts...))
		want = append(want, texts...)
		waitFor(t, "the proposal queued", 5*time.Second, func() bool { return m.queue.waiting() == i })
	}
	close(r.release)
	if a := <-first; a.err != nil || a.rev != 1 {
		t.Fatalf("first: %d, %v; want revision 1", a.rev, a.err)
	}
	if n := <-r.arrived; n != 100 {
		t.Fatalf("the waiting proposals went in an entry of %d records, want 100 in one", n)
	}
	for i, ch := range waiting {
		if a := <-ch; a.err != nil || a.rev != 2 {
			t.Fatalf("proposal %d: %d, %v; want revision 2", i+1, a.rev, a.err)
		}
	}
	if got := r.texts(t, 1); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the merged entry holds %v, want %v", got, want)
	}
	if e, p := counterValue(t, m.entries), counterValue(t, m.proposals); e != 2 || p != 51 {
		t.Fatalf("ovi_propose_entries_total %g, ovi_propose_proposals_total %g; want 2 and 51", e, p)
	}
}

// A merged entry stays within mergeMaxBytes (a larger proposal goes
// alone) and holds one format; a proposal whose deadline passes while it
// waits is answered ErrProposalTimeout and is not appended.
func TestMergerBoundsItsEntries(t *testing.T) {
	r := newFakeRaft()
	m := newMerger(r, prometheus.NewRegistry())
	hold := proposeNotes(t, m, time.Time{}, wal.FormatCurrent, "hold")
	<-r.arrived
	big := strings.Repeat("x", mergeMaxBytes/2)
	queue := func(deadline time.Time, format byte, text string) <-chan merged {
		n := m.queue.waiting()
		ch := proposeNotes(t, m, deadline, format, text)
		waitFor(t, "the proposal queued", 5*time.Second, func() bool { return m.queue.waiting() == n+1 })
		return ch
	}
	late := queue(time.Now().Add(-time.Millisecond), wal.FormatCurrent, "late") // its deadline passes while it waits
	a1 := queue(time.Time{}, wal.FormatCurrent, big+"1")
	a2 := queue(time.Time{}, wal.FormatCurrent, big+"2")
	v1 := queue(time.Time{}, wal.FormatV1, "old format")
	close(r.release)
	<-hold
	if a := <-late; !errors.Is(a.err, ErrProposalTimeout) {
		t.Fatalf("a proposal past its deadline: %d, %v; want ErrProposalTimeout", a.rev, a.err)
	}
	revs := map[uint64]bool{}
	for name, ch := range map[string]<-chan merged{"big 1": a1, "big 2": a2, "old format": v1} {
		a := <-ch
		if a.err != nil || revs[a.rev] {
			t.Fatalf("%s: %d, %v; want an entry of its own", name, a.rev, a.err)
		}
		revs[a.rev] = true
	}
	for i := 1; i < 4; i++ {
		if got := r.texts(t, i); len(got) != 1 || got[0] == "late" {
			t.Fatalf("entry %d holds %d notes, want one (and not the late one)", i, len(got))
		}
	}
}

// Every proposal of an entry gets the entry's failure: ErrNotLeader
// (retried by Propose: nothing was appended), outcome unknown (leadership
// lost after the append), or the FSM's refusal.
func TestMergerGivesEveryProposalTheEntrysFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		resp any
		want error
	}{
		{"not the leader", raft.ErrNotLeader, nil, ErrNotLeader},
		{"leadership lost", raft.ErrLeadershipLost, nil, ErrOutcomeUnknown},
		{"refused by the FSM", nil, fsm.ApplyResult{Err: fsm.ErrInvalidRecord}, ErrInvalidProposal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRaft()
			r.err, r.resp = tc.err, tc.resp
			m := newMerger(r, prometheus.NewRegistry())
			hold := proposeNotes(t, m, time.Time{}, wal.FormatCurrent, "hold")
			<-r.arrived
			a1 := proposeNotes(t, m, time.Time{}, wal.FormatCurrent, "1")
			a2 := proposeNotes(t, m, time.Time{}, wal.FormatCurrent, "2")
			waitFor(t, "two proposals queued", 5*time.Second, func() bool { return m.queue.waiting() == 2 })
			close(r.release)
			for _, ch := range []<-chan merged{hold, a1, a2} {
				if a := <-ch; !errors.Is(a.err, tc.want) || a.rev != 0 {
					t.Fatalf("%d, %v; want %v", a.rev, a.err, tc.want)
				}
			}
			if n := len(r.arrived); n != 1 {
				t.Fatalf("%d entries after the held one, want the two proposals in one", n)
			}
		})
	}
}

// A record the FSM would refuse (a resource id too long for a store key,
// or holding a NUL byte) is refused before it is appended, so that it can
// never fail the proposals merged with it: the error says what is wrong
// and the log does not grow.
func TestProposerRefusesWhatTheFSMWouldRefuse(t *testing.T) {
	a := startAgent(t, testConfig(t, "n1", 1))
	waitFor(t, "leadership", 20*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct{ id, want string }{
		{strings.Repeat("r", 600), "longer than"},
		{"bad\x00id", "NUL byte"},
	} {
		before := a.raft.LastIndex()
		_, err := a.Propose(ctx, []wal.Record{note(tc.id, "refused")})
		if !errors.Is(err, ErrInvalidProposal) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("a note on resource %.20q: %v; want ErrInvalidProposal saying %q", tc.id, err, tc.want)
		}
		if after := a.raft.LastIndex(); after != before {
			t.Fatalf("the refused proposal reached the log: last index %d → %d", before, after)
		}
	}
	if _, err := a.Propose(ctx, []wal.Record{note("k", "accepted")}); err != nil {
		t.Fatalf("a valid note after the refused ones: %v", err)
	}
}
