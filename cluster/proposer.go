package cluster

import (
	"fmt"
	"net/http"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// recordTimeWindow is how far before the leader's clock a forwarded
// record's time may lie and be kept: a follower's clock a little behind,
// or a proposal retried through an election. A time earlier than that, or
// later than the leader's clock, is replaced by the leader's clock.
const recordTimeWindow = 10 * time.Second

// now is this agent's wall clock for record times (UTC; shifted by the
// test-only ClockOffset).
func (a *Agent) now() time.Time { return time.Now().Add(a.cfg.ClockOffset).UTC() }

// forwardedBy is the node a forwarded batch comes from. With TLS it is the
// name of the sender's node certificate (authorize has already checked it
// is a member), whatever the records say. Without TLS there is no
// authenticated peer: the records must all name one node, and it must be
// a member.
func (a *Agent) forwardedBy(r *http.Request, recs []wal.Record) (string, error) {
	if a.tls != nil {
		name, _ := peerNode(r)
		return name, nil
	}
	if len(recs) == 0 {
		return "", nil // applyLocal refuses the empty batch
	}
	name := recs[0].Node
	if name == "" {
		return "", fmt.Errorf("%w: forwarded records name no node", ErrInvalidProposal)
	}
	for i := range recs {
		if recs[i].Node != name {
			return "", fmt.Errorf("%w: a forwarded batch comes from one node: record 0 names %q, record %d %q", ErrInvalidProposal, name, i, recs[i].Node)
		}
	}
	if !a.peers.isMember(name) {
		a.peers.httpRefused(transport.RefusedNotMember)
		return "", fmt.Errorf("%w: forwarded records name node %q, which is not a server of this cluster", ErrForeignOrigin, name)
	}
	return name, nil
}

// stampForwarded gives a follower's records, on the leader, their
// authenticated origin, and replaces a time outside the window (earlier
// than recordTimeWindow before the leader's clock, or later than it) with
// the leader's clock. The FSM only ever reads what is stamped here.
func (a *Agent) stampForwarded(recs []wal.Record, origin string) {
	now := a.now()
	restamped := 0
	var worst time.Duration
	for i := range recs {
		recs[i].Node = origin
		off := recs[i].Time.Sub(now)
		if off > 0 || off < -recordTimeWindow {
			recs[i].Time = now
			restamped++
			if off.Abs() > worst.Abs() {
				worst = off
			}
		}
	}
	if restamped == 0 {
		return
	}
	a.peers.restamped.Add(float64(restamped))
	if a.peers.logs.Allow() {
		a.logger.Warn("forwarded record times outside the leader's window: re-stamped with the leader's clock",
			"node", origin, "records", restamped, "largest_offset", worst.Round(time.Millisecond), "window", recordTimeWindow)
	}
}
