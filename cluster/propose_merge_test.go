package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// fakeRaft records the entries a merger appends; each Apply waits until
// the test releases it, then answers with its entry's number as the
// revision (or err, or resp).
type fakeRaft struct {
	mu       sync.Mutex
	entries  [][]byte
	timeouts []time.Duration // each Apply's
	arrived  chan fakeEntry
	err      error
	resp     any // the FSM's answer; nil: fsm.ApplyResult{Revision: entry number}
}

// fakeEntry is one Apply in progress: its record count (-1: the batch did
// not decode) and what releases it.
type fakeEntry struct {
	records int
	release chan struct{}
}

func newFakeRaft() *fakeRaft { return &fakeRaft{arrived: make(chan fakeEntry, 1024)} }

func (r *fakeRaft) Apply(cmd []byte, timeout time.Duration) raft.ApplyFuture {
	e := fakeEntry{records: -1, release: make(chan struct{})}
	if b, err := wal.DecodeBatch(cmd); err == nil {
		e.records = len(b.Records)
	}
	r.mu.Lock()
	r.entries, r.timeouts = append(r.entries, cmd), append(r.timeouts, timeout)
	rev := uint64(len(r.entries))
	r.mu.Unlock()
	r.arrived <- e
	<-e.release
	resp := r.resp
	if resp == nil {
		resp = fsm.ApplyResult{Revision: rev}
	}
	return fakeFuture{err: r.err, resp: resp}
}

// next is the next entry appended; it fails the test after 5 s.
func (r *fakeRaft) next(t *testing.T) fakeEntry {
	t.Helper()
	select {
	case e := <-r.arrived:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no entry appended within 5 s")
	}
	return fakeEntry{}
}

// none checks that no entry is being appended.
func (r *fakeRaft) none(t *testing.T, why string) {
	t.Helper()
	if n := len(r.arrived); n != 0 {
		t.Fatalf("%d entries appended, want none: %s", n, why)
	}
}

// releaseAll releases every entry from now on.
func (r *fakeRaft) releaseAll() {
	go func() {
		for e := range r.arrived {
			close(e.release)
		}
	}()
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

// queueNotes proposes n single notes "<prefix><i>" and waits until all of
// them wait in the queue.
func queueNotes(t *testing.T, m *merger, prefix string, n int) ([]<-chan merged, []string) {
	t.Helper()
	var chs []<-chan merged
	var texts []string
	base := m.queue.waiting()
	for i := range n {
		text := fmt.Sprint(prefix, i)
		chs, texts = append(chs, proposeNotes(t, m, time.Time{}, wal.FormatCurrent, text)), append(texts, text)
		waitFor(t, "the proposal queued", 5*time.Second, func() bool { return m.queue.waiting() == base+i+1 })
	}
	return chs, texts
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// Light load is pipelined, heavy load merged: single proposals go side by
// side, each its own entry, up to mergeSenders of them; the ones that come
// while no entry may start wait, and go in one entry, in the order they
// came, sharing its revision; while that merged entry is in flight no other
// starts, and what arrives meanwhile goes in the next one. The counters
// say how many entries carried how many proposals.
func TestMergerPipelinesSinglesAndMergesWhatWaits(t *testing.T) {
	r := newFakeRaft()
	m := newMerger(r, prometheus.NewRegistry())
	var singles []<-chan merged
	var held []fakeEntry
	for i := range mergeSenders {
		singles = append(singles, proposeNotes(t, m, time.Time{}, wal.FormatCurrent, fmt.Sprint("single", i)))
		e := r.next(t)
		if e.records != 1 {
			t.Fatalf("single proposal %d went in an entry of %d records, want alone, at once", i, e.records)
		}
		held = append(held, e)
	}
	first, firstTexts := queueNotes(t, m, "first", 10)
	r.none(t, "every sender is busy")
	close(held[0].release)
	e := r.next(t)
	if e.records != 10 {
		t.Fatalf("the waiting proposals went in an entry of %d records, want the 10 in one", e.records)
	}
	for _, h := range held[1:] {
		close(h.release)
	}
	for i, ch := range singles {
		if a := <-ch; a.err != nil || a.rev < 1 || a.rev > mergeSenders {
			t.Fatalf("single %d: %d, %v; want one of the first %d entries", i, a.rev, a.err, mergeSenders)
		}
	}
	second, secondTexts := queueNotes(t, m, "second", 5)
	r.none(t, "a merged entry is in flight: the others wait for it")
	close(e.release)
	e2 := r.next(t)
	if e2.records != 5 {
		t.Fatalf("what came during the merged entry went in an entry of %d records, want the 5 in one", e2.records)
	}
	close(e2.release)
	for _, group := range []struct {
		chs   []<-chan merged
		texts []string
		rev   uint64
	}{{first, firstTexts, mergeSenders + 1}, {second, secondTexts, mergeSenders + 2}} {
		for i, ch := range group.chs {
			if a := <-ch; a.err != nil || a.rev != group.rev {
				t.Fatalf("%s: %d, %v; want revision %d", group.texts[i], a.rev, a.err, group.rev)
			}
		}
		if got := r.texts(t, int(group.rev)-1); !slices.Equal(got, group.texts) {
			t.Fatalf("entry %d holds %v, want %v", group.rev, got, group.texts)
		}
	}
	if e, p := counterValue(t, m.entries), counterValue(t, m.proposals); e != mergeSenders+2 || p != mergeSenders+15 {
		t.Fatalf("ovi_propose_entries_total %g, ovi_propose_proposals_total %g; want %d and %d", e, p, mergeSenders+2, mergeSenders+15)
	}
}

// holdSenders proposes mergeSenders single notes and holds their entries
// in flight: what is proposed next waits.
func holdSenders(t *testing.T, r *fakeRaft, m *merger) ([]<-chan merged, []fakeEntry) {
	t.Helper()
	var answers []<-chan merged
	var held []fakeEntry
	for i := range mergeSenders {
		answers = append(answers, proposeNotes(t, m, time.Time{}, wal.FormatCurrent, fmt.Sprint("hold", i)))
		held = append(held, r.next(t))
	}
	return answers, held
}

// releaseHeldAndAll releases the held entries and every one after them.
func (r *fakeRaft) releaseHeldAndAll(held []fakeEntry) {
	for _, h := range held {
		close(h.release)
	}
	r.releaseAll()
}

// A merged entry stays within mergeMaxBytes (a larger proposal goes
// alone) and holds one format; a proposal whose deadline passes while it
// waits is answered ErrProposalTimeout and is not appended.
func TestMergerBoundsItsEntries(t *testing.T) {
	r := newFakeRaft()
	m := newMerger(r, prometheus.NewRegistry())
	_, held := holdSenders(t, r, m)
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
	r.releaseHeldAndAll(held)
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
	for i := mergeSenders; i < mergeSenders+3; i++ {
		if got := r.texts(t, i); len(got) != 1 || got[0] == "late" {
			t.Fatalf("entry %d holds %d notes, want one (and not the late one)", i+1, len(got))
		}
	}
}

// A merged entry waits to be enqueued as long as the most patient of its
// proposals would: a proposal with a short deadline does not fail the
// others with a timeout.
func TestMergerWaitsForTheLatestDeadline(t *testing.T) {
	r := newFakeRaft()
	m := newMerger(r, prometheus.NewRegistry())
	_, held := holdSenders(t, r, m)
	n := m.queue.waiting()
	short := proposeNotes(t, m, time.Now().Add(time.Minute), wal.FormatCurrent, "short")
	none := proposeNotes(t, m, time.Time{}, wal.FormatCurrent, "no deadline")
	long := proposeNotes(t, m, time.Now().Add(time.Hour), wal.FormatCurrent, "long")
	waitFor(t, "three proposals queued", 5*time.Second, func() bool { return m.queue.waiting() == n+3 })
	r.releaseHeldAndAll(held)
	for _, ch := range []<-chan merged{short, none, long} {
		if a := <-ch; a.err != nil {
			t.Fatal(a.err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := r.timeouts[mergeSenders]; got < 59*time.Minute || got > time.Hour {
		t.Fatalf("the merged entry waits %s to be enqueued, want the longest deadline's hour", got)
	}
	if got := r.timeouts[0]; got != defaultApplyTimeout {
		t.Fatalf("a proposal without a deadline waits %s, want defaultApplyTimeout", got)
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
			answers, held := holdSenders(t, r, m)
			queued, _ := queueNotes(t, m, "queued", 2)
			r.releaseHeldAndAll(held)
			for _, ch := range append(answers, queued...) {
				if a := <-ch; !errors.Is(a.err, tc.want) || a.rev != 0 {
					t.Fatalf("%d, %v; want %v", a.rev, a.err, tc.want)
				}
			}
			r.mu.Lock()
			n := len(r.entries)
			r.mu.Unlock()
			if n != mergeSenders+1 {
				t.Fatalf("%d entries, want the %d held and the two queued proposals in one", n, mergeSenders)
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
