package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/notify"
	"github.com/yairfalse/ovi/cluster/notify/notifytest"
	"github.com/yairfalse/ovi/wal"
)

func TestLoadConfigNotifications(t *testing.T) {
	p := writeConfig(t, `data_dir: /tmp/x
notifications:
  - name: ops
    url: https://hooks.example.com/ovi
    secret: s3cret
    events: [drift.detected, action.failed]
    timeout: 3s
    queue_size: 100
    retry: {attempts: 4, initial_backoff: 2s, max_backoff: 30s}
`)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Notifications
	if len(got) != 1 || got[0].Name != "ops" || got[0].Timeout != 3*time.Second || got[0].QueueSize != 100 ||
		len(got[0].Events) != 2 || got[0].Events[1] != notify.ActionFailed ||
		got[0].Retry != (notify.Retry{Attempts: 4, InitialBackoff: 2 * time.Second, MaxBackoff: 30 * time.Second}) {
		t.Fatalf("notifications = %+v", got)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestNotificationErrorsNameFileLineColumn: a bad receiver is a one-line
// error at the key's position, like every other key of the file.
func TestNotificationErrorsNameFileLineColumn(t *testing.T) {
	head := "data_dir: /tmp/x\nnotifications:\n  - name: ops\n    secret: k\n"
	cases := map[string]struct{ body, want string }{
		"bad url":     {head + "    url: ftp://x/y\n", ":5:10: notifications[0].url: \"ftp://x/y\" is not an http:// or https:// URL"},
		"bad event":   {head + "    url: https://x/y\n    events: [drift.detected, drifted]\n", ":6:30: notifications[0].events[1]: unknown event type \"drifted\""},
		"no url":      {head, ":3:5: notifications[0]: url is required"},
		"unknown key": {head + "    url: https://x/y\n    retries: 3\n", ":6:5: unknown field \"retries\""},
		"bad retry":   {head + "    url: https://x/y\n    retry:\n      attempts: 0\n      max_backoff: -1s\n", ":8:20: notifications[0].retry.max_backoff"},
	}
	for name, c := range cases {
		p := writeConfig(t, c.body)
		_, err := LoadConfig(p)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), p+c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want %s%s", name, err, p, c.want)
		}
	}
}

// TestAgentNotifiesWhatItCommits: a one-node agent leading sends a
// committed decision to a real receiver, signed, and records the delivery;
// a reload that breaks the receiver is refused and changes nothing.
func TestAgentNotifiesWhatItCommits(t *testing.T) {
	rcv := notifytest.Start(t, "s3cret")
	cfg := testConfig(t, "n1", 1)
	cfg.Notifications = []notify.Receiver{{Name: "ops", URL: rcv.URL(), Secret: "s3cret"}}
	a := startAgent(t, cfg)
	waitFor(t, "the start record", 15*time.Second, func() bool {
		d, _ := a.fsm.Delivery("ops", 0)
		return d != nil
	})
	dec := wal.Record{Kind: wal.KindDecided, ResourceID: "i-9", CycleID: "c-1", DecisionID: "c-1-1",
		Decided: &wal.Decided{Action: wal.ActionCreate, Drift: wal.DriftMissing, ResourceKind: wal.ResourceInstance,
			Reason: "Create: 1 missing", Group: "web", Count: 1}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rev, err := a.Propose(ctx, []wal.Record{dec})
	if err != nil {
		t.Fatal(err)
	}
	id := wal.EventID(rev, 0)
	err = rcv.Wait(10*time.Second, func(reqs []notifytest.Request) bool {
		for _, q := range reqs {
			if q.Event.ID == id {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("event %s not received: %v (got %d requests)", id, err, len(rcv.Requests()))
	}
	for _, q := range rcv.Requests() {
		if q.Verified != nil {
			t.Fatalf("request %s: %v", q.Event.ID, q.Verified)
		}
	}
	waitFor(t, "the delivery record", 10*time.Second, func() bool {
		d, _ := a.fsm.Delivery("ops", 0)
		return d != nil && d.Revision >= rev && d.Outcome == wal.DeliveryDelivered
	})
	bad := cfg
	bad.Notifications = []notify.Receiver{{Name: "ops", URL: "ftp://nope", Secret: "k"}}
	if err := a.Reload(bad); err == nil || !strings.Contains(err.Error(), "notifications[0].url") {
		t.Fatalf("reload with a bad receiver: %v", err)
	}
}
