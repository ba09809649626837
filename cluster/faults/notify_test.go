//go:build e2e

package faults

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/cluster/notify/notifytest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

const hookSecret = "fault-suite-webhook-secret"

// notifyCluster prepares a cluster whose agents send every event to rcv,
// signed with a secret file; extra are more --notify keys.
func notifyCluster(t *testing.T, bin string, rcv *notifytest.Receiver, extra string) *cluster {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(secret, []byte(hookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cl := newCluster(t, bin, startCloud(t, bin), false)
	spec := "name=ops,url=" + rcv.URL() + ",secret_file=" + secret + extra
	for _, n := range cl.nodes {
		n.flags = append(n.flags, "--notify", spec)
	}
	return cl
}

// startRecord returns the revision after which the receiver's events
// start (its start record), once some node's WAL has it.
func startRecord(t *testing.T, n *node) transport.Revision {
	t.Helper()
	var at transport.Revision
	waitFor(t, "the receiver's start record", 30*time.Second, func() bool {
		entries, err := walOf(n, transport.Revision{})
		for _, e := range entries {
			if d := e.Record.Delivery; err == nil && d != nil && d.Outcome == wal.DeliveryStart {
				at = transport.Revision{Main: d.Revision, Sub: d.Sub}
				return true
			}
		}
		return false
	})
	return at
}

// expectedEvents are the events the WAL of n holds after start, by id.
func expectedEvents(t *testing.T, n *node, start transport.Revision) []string {
	t.Helper()
	entries, err := walOf(n, start)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if ev, ok := notify.FromRecord(notify.Position{Main: e.Revision.Main, Sub: e.Revision.Sub}, &e.Record); ok {
			ids = append(ids, ev.ID)
		}
	}
	return ids
}

// counts tallies how often each event id was accepted.
func counts(evs []notify.Event) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		out[e.ID]++
	}
	return out
}

// allDelivered reports whether every expected event was accepted.
func allDelivered(rcv *notifytest.Receiver, want []string) bool {
	got := counts(rcv.Accepted())
	for _, id := range want {
		if got[id] == 0 {
			return false
		}
	}
	return len(want) > 0
}

// metric reads one receiver's counter from a node's /metrics.
func metric(t *testing.T, n *node, name string) float64 {
	t.Helper()
	return metricValue(t, n, name+`{receiver="ops"}`)
}

// metricValue reads one series (its name and labels as /metrics writes
// them) from a node's /metrics; -1 when the node does not answer or has
// no such series.
func metricValue(t *testing.T, n *node, series string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.httpAddr()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer func() { _ = resp.Body.Close() }()
	prefix := series + " "
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// checkSigned fails if any request was not signed with the secret.
func checkSigned(t *testing.T, rcv *notifytest.Receiver) {
	t.Helper()
	for _, q := range rcv.Requests() {
		if q.Verified != nil || q.Malformed != nil {
			t.Fatalf("request for %s: signature %v, body %v", q.Event.ID, q.Verified, q.Malformed)
		}
	}
}

// TestNotificationsSignedThroughAnOutage: three real agents reconcile
// against the simulator and send what they decide and do to a real
// receiver, signed. With the receiver's port closed they retry with
// backoff; once it is back every event of the WAL arrives, once.
func TestNotificationsSignedThroughAnOutage(t *testing.T) {
	bin := binary(t)
	rcv := notifytest.Start(t, hookSecret)
	cl := notifyCluster(t, bin, rcv, ",attempts=100,initial_backoff=100ms,max_backoff=500ms")
	cl.write(infra{web: 0})
	l := cl.start()
	start := startRecord(t, l)
	cl.write(infra{web: 2})
	waitFor(t, "drift detected and repaired", 90*time.Second, func() bool {
		types := map[notify.EventType]bool{}
		for _, e := range rcv.Accepted() {
			types[e.Type] = true
		}
		return types[notify.DriftDetected] && types[notify.DriftRepaired]
	})
	rcv.Down()
	cl.write(infra{web: 0})
	waitFor(t, "retries while the receiver is down", 90*time.Second, func() bool {
		return metric(t, l, "ovi_notifications_retries_total") >= 3
	})
	waitConvergedTo(t, cl, l, 0)
	rcv.Up(t)
	want := expectedEvents(t, l, start)
	waitFor(t, "every event of the WAL delivered", 90*time.Second, func() bool { return allDelivered(rcv, want) })
	checkSigned(t, rcv)
	for id, n := range counts(rcv.Accepted()) {
		if n != 1 {
			t.Errorf("event %s delivered %d times, want once (no leader change)", id, n)
		}
	}
	if sent := metric(t, l, "ovi_notifications_sent_total"); sent != float64(len(want)) {
		t.Errorf("ovi_notifications_sent_total = %v, want %d", sent, len(want))
	}
	if f := metric(t, l, "ovi_notifications_failed_total"); f != 0 {
		t.Errorf("ovi_notifications_failed_total = %v, want 0", f)
	}
}

// waitConvergedTo waits until web has n live instances and no decision is open.
func waitConvergedTo(t *testing.T, cl *cluster, l *node, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("web at %d instances, nothing open", n), 120*time.Second, func() bool {
		if liveIn(cl.cloud.instances(), "web") != n {
			return false
		}
		entries, err := walOf(l, transport.Revision{})
		return err == nil && openDecisions(entries) == 0
	})
}

// TestNotificationsLeaderKillMidDelivery: the leader is killed (kill -9)
// while a request is in flight — the receiver has the event but has not
// answered. The new leader sends that one event again, with the same id
// (the documented window: at most the event in flight, per receiver, per
// leader change), every other event exactly once, and none is lost.
func TestNotificationsLeaderKillMidDelivery(t *testing.T) {
	bin := binary(t)
	rcv := notifytest.Start(t, hookSecret)
	cl := notifyCluster(t, bin, rcv, ",timeout=60s,attempts=100,initial_backoff=100ms,max_backoff=500ms")
	cl.write(infra{web: 0})
	l := cl.start()
	start := startRecord(t, l)
	before := rcv.Hold() // requests answered before (this term's leader event, maybe)
	cl.write(infra{web: 2})
	if err := rcv.Wait(60*time.Second, func(q []notifytest.Request) bool { return len(q) > before }); err != nil {
		t.Fatalf("no request reached the receiver: %v", err)
	}
	inFlight := rcv.Requests()[before].Event.ID
	l.Kill()
	rcv.Release()
	nl := cl.waitLeader(60 * time.Second)
	if nl == l {
		t.Fatal("the killed node leads")
	}
	waitConvergedTo(t, cl, nl, 2)
	want := expectedEvents(t, nl, start)
	waitFor(t, "every event of the WAL delivered", 90*time.Second, func() bool { return allDelivered(rcv, want) })
	checkSigned(t, rcv)
	got := counts(rcv.Accepted())
	for id, n := range got {
		switch {
		case id == inFlight && n > 2, id != inFlight && n != 1:
			t.Errorf("event %s delivered %d times (in flight at the kill: %s)", id, n, inFlight)
		}
	}
	if t.Failed() || got[inFlight] != 2 {
		logStory(t, rcv, nl)
	}
	if got[inFlight] != 2 {
		t.Errorf("the event in flight at the kill (%s) was delivered %d times, want 2: sent, then sent again by the new leader", inFlight, got[inFlight])
	}
	if !slices.Contains(want, inFlight) {
		t.Errorf("the event in flight (%s) is not an event of the WAL %v", inFlight, want)
	}
}

// logStory logs the requests received and the delivery records, for a failure.
func logStory(t *testing.T, rcv *notifytest.Receiver, n *node) {
	t.Helper()
	for _, q := range rcv.Requests() {
		t.Logf("request %s %s attempt %d status %d", q.Event.ID, q.Event.Type, q.Attempt, q.Status)
	}
	entries, _ := walOf(n, transport.Revision{})
	for _, e := range entries {
		t.Logf("wal %d.%d %s %s: %s", e.Revision.Main, e.Revision.Sub, e.Record.Node, e.Record.Kind, e.Record.Describe())
	}
}
