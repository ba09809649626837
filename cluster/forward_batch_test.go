package cluster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// batchLeader stands in for the leader's batched endpoint: it records
// every request's proposals (their notes' texts), holds each request until
// release is closed, and answers with answer.
type batchLeader struct {
	srv     *httptest.Server
	mu      sync.Mutex
	batches [][]string
	arrived chan int // the size of each request, as it arrives
	release chan struct{}
	answer  func(w http.ResponseWriter, in transport.ProposeBatchRequest)
}

func newBatchLeader(t *testing.T) *batchLeader {
	t.Helper()
	bl := &batchLeader{arrived: make(chan int, 100), release: make(chan struct{}), answer: answerRevisions}
	bl.srv = httptest.NewServer(http.HandlerFunc(bl.serve))
	t.Cleanup(bl.srv.Close)
	return bl
}

func (bl *batchLeader) serve(w http.ResponseWriter, r *http.Request) {
	var in transport.ProposeBatchRequest
	if r.URL.Path != transport.PathProposeMany {
		transport.WriteError(w, transport.Errorf(transport.CodeNotFound, "no endpoint %s", r.URL.Path))
		return
	}
	if e := transport.DecodeBodyLimit(w, r, &in, maxProposeManyBody); e != nil {
		transport.WriteError(w, e)
		return
	}
	texts := make([]string, len(in.Proposals))
	for i, p := range in.Proposals {
		texts[i] = p.Records[0].Note.Text
	}
	bl.mu.Lock()
	bl.batches = append(bl.batches, texts)
	bl.mu.Unlock()
	bl.arrived <- len(texts)
	<-bl.release
	bl.answer(w, in)
}

// answerRevisions answers each proposal with its text as the revision.
func answerRevisions(w http.ResponseWriter, in transport.ProposeBatchRequest) {
	out := transport.ProposeBatchResponse{}
	for _, p := range in.Proposals {
		rev, err := strconv.ParseUint(p.Records[0].Note.Text, 10, 64)
		if err != nil {
			out.Results = append(out.Results, transport.ProposeResult{Error: transport.Errorf(transport.CodeBadRequest, "cluster: invalid proposal: %v", err)})
			continue
		}
		out.Results = append(out.Results, transport.ProposeResult{Revision: rev})
	}
	transport.WriteJSON(w, http.StatusOK, &out)
}

func (bl *batchLeader) client(t *testing.T) *transport.Client {
	t.Helper()
	c, err := transport.NewClient(bl.srv.Listener.Addr().String(), transport.ClientOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

type forwarded struct {
	rev uint64
	err error
}

// forwardAsync forwards a note with text through f and delivers its answer.
func forwardAsync(ctx context.Context, f *forwarder, bl *batchLeader, c *transport.Client, text string) <-chan forwarded {
	return forwardWithin(ctx, f, bl, c, text, 10*time.Second)
}

// forwardWithin is forwardAsync with the write's deadline d from now.
func forwardWithin(ctx context.Context, f *forwarder, bl *batchLeader, c *transport.Client, text string, d time.Duration) <-chan forwarded {
	ch := make(chan forwarded, 1)
	go func() {
		rev, err := f.forward(ctx, time.Now().Add(d), bl.srv.Listener.Addr().String(), c, []wal.Record{note("k", text)})
		ch <- forwarded{rev, err}
	}()
	return ch
}

// The proposals waiting while forwardSenders requests are in flight go in
// one request; each gets its own answer, and the counters say so.
func TestForwarderCoalescesWaitingProposals(t *testing.T) {
	bl := newBatchLeader(t)
	c := bl.client(t)
	f := newForwarder(prometheus.NewRegistry())
	var answers []<-chan forwarded
	for i := range forwardSenders { // one request each: a sender is free for every one
		answers = append(answers, forwardAsync(context.Background(), f, bl, c, strconv.Itoa(i+1)))
		if n := <-bl.arrived; n != 1 {
			t.Fatalf("request %d carried %d proposals, want 1", i, n)
		}
	}
	const waiting = 50
	for i := range waiting { // every sender busy: these wait
		answers = append(answers, forwardAsync(context.Background(), f, bl, c, strconv.Itoa(forwardSenders+i+1)))
	}
	waitFor(t, "the proposals queued", 5*time.Second, func() bool {
		return f.queue.waiting() == waiting
	})
	close(bl.release)
	for i, ch := range answers {
		if a := <-ch; a.err != nil || a.rev != uint64(i+1) {
			t.Fatalf("proposal %d: revision %d, %v; want %d", i+1, a.rev, a.err, i+1)
		}
	}
	reqs, props := f.count(wireBatch)
	if props != forwardSenders+waiting || reqs > forwardSenders+forwardSenders || reqs < forwardSenders+1 {
		t.Fatalf("%g proposals in %g requests, want %d in at most %d", props, reqs, forwardSenders+waiting, 2*forwardSenders)
	}
}

// Each proposal of a batch gets its own result: a refused one its error
// (back as the cluster's sentinel), the others their revisions.
func TestForwarderAnswersEachProposalOnItsOwn(t *testing.T) {
	bl := newBatchLeader(t)
	close(bl.release)
	c := bl.client(t)
	f := newForwarder(prometheus.NewRegistry())
	f.queue.inflight = forwardSenders // hold the senders: the three go in one request
	ok1 := forwardAsync(context.Background(), f, bl, c, "7")
	bad := forwardAsync(context.Background(), f, bl, c, "not a number")
	ok2 := forwardAsync(context.Background(), f, bl, c, "9")
	waitFor(t, "three proposals queued", 5*time.Second, func() bool { return f.queue.waiting() == 3 })
	f.queue.mu.Lock()
	f.queue.inflight--
	f.queue.mu.Unlock()
	f.queue.kick()
	if n := <-bl.arrived; n != 3 {
		t.Fatalf("one request of %d proposals, want 3", n)
	}
	if a := <-ok1; a.err != nil || a.rev != 7 {
		t.Errorf("first: %d, %v", a.rev, a.err)
	}
	if a := <-bad; !errors.Is(a.err, ErrInvalidProposal) || a.rev != 0 {
		t.Errorf("refused one: %d, %v; want ErrInvalidProposal", a.rev, a.err)
	}
	if a := <-ok2; a.err != nil || a.rev != 9 {
		t.Errorf("third: %d, %v", a.rev, a.err)
	}
}

// A proposal given up while it waits was never sent: its error says so,
// it is not outcome_unknown, and the leader never sees it. One given up
// after it was sent is outcome_unknown.
func TestForwarderWithdrawsOnlyUnsentProposals(t *testing.T) {
	bl := newBatchLeader(t)
	c := bl.client(t)
	f := newForwarder(prometheus.NewRegistry())
	sentCtx, cancelSent := context.WithCancel(context.Background())
	var sent []<-chan forwarded
	for i := range forwardSenders {
		sent = append(sent, forwardAsync(sentCtx, f, bl, c, strconv.Itoa(i+1)))
		<-bl.arrived
	}
	ctx, cancel := context.WithCancel(context.Background())
	queued := forwardAsync(ctx, f, bl, c, "99")
	waitFor(t, "a proposal queued", 5*time.Second, func() bool { return f.queue.waiting() == 1 })
	cancel()
	if a := <-queued; !errors.Is(a.err, context.Canceled) || errors.Is(a.err, ErrOutcomeUnknown) {
		t.Fatalf("withdrawn before it was sent: %v, want context.Canceled, not outcome unknown", a.err)
	}
	const bound = 200 * time.Millisecond // a write deadline passing while it waits for a sender
	start := time.Now()
	late := forwardWithin(context.Background(), f, bl, c, "98", bound)
	if a := <-late; !errors.Is(a.err, context.DeadlineExceeded) || errors.Is(a.err, ErrOutcomeUnknown) || time.Since(start) > bound+time.Second {
		t.Fatalf("deadline passed while queued: %v after %s, want the deadline, not sent", a.err, time.Since(start))
	}
	cancelSent()
	for i, ch := range sent {
		if a := <-ch; !errors.Is(a.err, ErrOutcomeUnknown) {
			t.Fatalf("proposal %d given up after it was sent: %v, want outcome unknown", i+1, a.err)
		}
	}
	close(bl.release)
	bl.mu.Lock()
	defer bl.mu.Unlock()
	for _, b := range bl.batches {
		for _, text := range b {
			if text == "99" || text == "98" {
				t.Fatalf("the withdrawn proposal reached the leader: %v", bl.batches)
			}
		}
	}
}

// A request that fails after it was sent (the connection cut, a wrong
// number of results) leaves every proposal in it outcome_unknown; a
// not_leader answer to the whole request is each proposal's ErrNotLeader
// (retried by Propose).
func TestForwarderRequestFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, in transport.ProposeBatchRequest)
		want   error
	}{
		{"connection cut", func(w http.ResponseWriter, _ transport.ProposeBatchRequest) {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
		}, ErrOutcomeUnknown},
		{"too few results", func(w http.ResponseWriter, _ transport.ProposeBatchRequest) {
			transport.WriteJSON(w, http.StatusOK, &transport.ProposeBatchResponse{Results: []transport.ProposeResult{{Revision: 1}}})
		}, ErrOutcomeUnknown},
		{"not the leader", func(w http.ResponseWriter, _ transport.ProposeBatchRequest) {
			transport.WriteError(w, transport.Errorf(transport.CodeNotLeader, "cluster: not the leader: n2"))
		}, ErrNotLeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bl := newBatchLeader(t)
			close(bl.release)
			bl.answer = tc.answer
			c := bl.client(t)
			f := newForwarder(prometheus.NewRegistry())
			f.queue.inflight = forwardSenders
			a1 := forwardAsync(context.Background(), f, bl, c, "1")
			a2 := forwardAsync(context.Background(), f, bl, c, "2")
			waitFor(t, "two proposals queued", 5*time.Second, func() bool { return f.queue.waiting() == 2 })
			f.queue.mu.Lock()
			f.queue.inflight--
			f.queue.mu.Unlock()
			f.queue.kick()
			for _, ch := range []<-chan forwarded{a1, a2} {
				if a := <-ch; !errors.Is(a.err, tc.want) {
					t.Fatalf("%v, want %v", a.err, tc.want)
				}
			}
		})
	}
}

// count reads the forwarder's counters of one wire format.
func (f *forwarder) count(wire string) (requests, proposals float64) {
	var r, p dto.Metric
	_ = f.requests.WithLabelValues(wire).Write(&r)
	_ = f.proposals.WithLabelValues(wire).Write(&p)
	return r.GetCounter().GetValue(), p.GetCounter().GetValue()
}
