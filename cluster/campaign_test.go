package cluster

import (
	"errors"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// failingStore is an in-memory log store whose appends fail while fail is
// set (a full disk).
type failingStore struct {
	*raft.InmemStore
	fail error
}

func (s *failingStore) Close() error { return nil }

func (s *failingStore) StoreLogs(ls []*raft.Log) error {
	if s.fail != nil {
		return s.fail
	}
	return s.InmemStore.StoreLogs(ls)
}

func (s *failingStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A failed append blocks campaigns, naming the cause, until an append
// succeeds; a failure no other follows blocks for the hold only.
func TestFailedAppendBlocksCampaigns(t *testing.T) {
	now := time.Unix(1000, 0)
	h := newAppendHealth(campaignHold(400*time.Millisecond), quietLogger())
	h.now = func() time.Time { return now }
	store := &failingStore{InmemStore: raft.NewInmemStore()}
	s := healthLogStore{LogStore: store, health: h}
	if err := s.StoreLog(&raft.Log{Index: 1, Term: 1}); err != nil || h.blocked() != nil {
		t.Fatalf("a good append: err %v, blocked %v", err, h.blocked())
	}
	store.fail = syscall.ENOSPC
	if err := s.StoreLogs([]*raft.Log{{Index: 2, Term: 1}}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("the store's error is not passed on: %v", err)
	}
	err := h.blocked()
	if !errors.Is(err, ErrLogUnwritable) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("after a failed append: blocked %v, want ErrLogUnwritable wrapping ENOSPC", err)
	}
	now = now.Add(3 * time.Second)
	if h.blocked() == nil {
		t.Fatal("unblocked within the hold")
	}
	now = now.Add(time.Second)
	if err := h.blocked(); err != nil {
		t.Fatalf("still blocked after the hold (4 s) with no new failure: %v", err)
	}
	_ = s.StoreLog(&raft.Log{Index: 2, Term: 1})
	store.fail = nil
	if err := s.StoreLog(&raft.Log{Index: 2, Term: 1}); err != nil || h.blocked() != nil {
		t.Fatalf("an append succeeded: err %v, still blocked: %v", err, h.blocked())
	}
}

// The gate refuses this node's vote and pre-vote requests while its log
// is blocked, without sending them; otherwise they reach the peer.
func TestCampaignGateSendsNoVoteRequestWhileBlocked(t *testing.T) {
	a, err := raft.NewTCPTransport("127.0.0.1:0", nil, 2, time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.Close() }()
	b, err := raft.NewTCPTransport("127.0.0.1:0", nil, 2, time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	seen := make(chan any, 4)
	go func() {
		for rpc := range b.Consumer() {
			seen <- rpc.Command
			switch rpc.Command.(type) {
			case *raft.RequestPreVoteRequest:
				rpc.Respond(&raft.RequestPreVoteResponse{Granted: true}, nil)
			default:
				rpc.Respond(&raft.RequestVoteResponse{Granted: true}, nil)
			}
		}
	}()
	h := newAppendHealth(time.Minute, quietLogger())
	g := campaignGate{NetworkTransport: a, health: h}
	var pre raft.RequestPreVoteResponse
	if err := g.RequestPreVote("b", b.LocalAddr(), &raft.RequestPreVoteRequest{Term: 2}, &pre); err != nil || !pre.Granted {
		t.Fatalf("healthy: pre-vote err %v granted %v", err, pre.Granted)
	}
	<-seen
	h.record(syscall.ENOSPC)
	var vote raft.RequestVoteResponse
	if err := g.RequestVote("b", b.LocalAddr(), &raft.RequestVoteRequest{Term: 3}, &vote); !errors.Is(err, ErrLogUnwritable) {
		t.Fatalf("blocked: vote err %v, want ErrLogUnwritable", err)
	}
	if err := g.RequestPreVote("b", b.LocalAddr(), &raft.RequestPreVoteRequest{Term: 3}, &pre); !errors.Is(err, ErrLogUnwritable) {
		t.Fatalf("blocked: pre-vote err %v, want ErrLogUnwritable", err)
	}
	var ae raft.AppendEntriesResponse
	if err := g.AppendEntries("b", b.LocalAddr(), &raft.AppendEntriesRequest{Term: 3}, &ae); err != nil {
		t.Fatalf("blocked: replication must still flow: %v", err)
	}
	if got := <-seen; got == nil {
		t.Fatal("no RPC reached the peer")
	} else if _, ok := got.(*raft.AppendEntriesRequest); !ok {
		t.Fatalf("the peer saw %T while this node was blocked, want only the AppendEntries", got)
	}
}

// The gate's log store keeps raft-wal's monotonic promise (Raft deletes
// the whole log after a snapshot install only when the store makes it).
func TestHealthLogStoreKeepsMonotonic(t *testing.T) {
	for kind, want := range map[LogStoreKind]bool{LogStoreWAL: true, LogStoreBoltDB: false} {
		s, err := OpenLogStore(kind, t.TempDir(), hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		if got := (healthLogStore{LogStore: s}).IsMonotonic(); got != want {
			t.Errorf("%s: IsMonotonic %v, want %v", kind, got, want)
		}
		_ = s.Close()
	}
}
