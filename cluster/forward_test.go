package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// A write bounded by a deadline (the API handlers' way: no context timer)
// waits for a leader until the deadline, not past it, and answers what a
// context deadline would: no_leader, wrapping context.DeadlineExceeded.
func TestProposeByStopsAtItsDeadlineWithoutALeader(t *testing.T) {
	a := startAgent(t, testConfig(t, "alone", 3)) // waits for two more servers: never a leader
	const bound = 300 * time.Millisecond
	start := time.Now()
	_, err := a.proposeBy(context.Background(), start.Add(bound), []wal.Record{note("r", "no leader")})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrNoLeader) {
		t.Fatalf("err = %v, want the deadline after no leader", err)
	}
	if took < bound || took > bound+time.Second {
		t.Fatalf("returned after %s, want about %s", took, bound)
	}
	if code := toAPIError(err).Code; code != transport.CodeNoLeader {
		t.Fatalf("code %q, want %q", code, transport.CodeNoLeader)
	}
	// A context deadline before the given one bounds it as well.
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	start = time.Now()
	_, err = a.proposeBy(ctx, start.Add(time.Hour), []wal.Record{note("r", "no leader")})
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > bound+time.Second {
		t.Fatalf("with a context deadline: %v after %s", err, took)
	}
}
