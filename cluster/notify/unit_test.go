package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

func TestSignVerify(t *testing.T) {
	key, body := []byte("s3cret"), []byte(`{"id":"7.0"}`)
	at := time.Unix(1_700_000_000, 0)
	h := Sign(key, body, at)
	if !strings.HasPrefix(h, "t=1700000000,v1=") {
		t.Fatalf("header %q", h)
	}
	if err := Verify(key, body, h, at.Add(time.Minute), DefaultTolerance); err != nil {
		t.Fatalf("verify: %v", err)
	}
	cases := map[string]struct {
		key, body []byte
		header    string
		now       time.Time
		want      error
	}{
		"tampered body": {key, []byte(`{"id":"8.0"}`), h, at, ErrBadSignature},
		"wrong key":     {[]byte("other"), body, h, at, ErrBadSignature},
		"replayed late": {key, body, h, at.Add(6 * time.Minute), ErrStale},
		"from future":   {key, body, h, at.Add(-6 * time.Minute), ErrStale},
		"malformed":     {key, body, "v1=zz", at, ErrBadSignature},
		"no mac":        {key, body, "t=1700000000", at, ErrBadSignature},
	}
	for name, c := range cases {
		if err := Verify(c.key, c.body, c.header, c.now, DefaultTolerance); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// TestSignatureIsHMACOfTimestampDotBody pins the signed string, the
// contract docs/operations.md shows receivers (openssl dgst -sha256 -hmac).
func TestSignatureIsHMACOfTimestampDotBody(t *testing.T) {
	h := Sign([]byte("key"), []byte("body"), time.Unix(42, 0))
	// printf '42.body' | openssl dgst -sha256 -hmac key
	if want := "t=42,v1=b62a8bcafebc3dda9022b563e771f54e72a1eef3fd12e7bd2713899387cc26f8"; h != want {
		t.Fatalf("Sign = %q, want %q", h, want)
	}
}

func TestDelayGrowsCapsAndJitters(t *testing.T) {
	r := Retry{Attempts: 6, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	lo, hi := func() float64 { return 0 }, func() float64 { return 0.999999 }
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		w *= time.Millisecond
		if got := r.Delay(n+1, lo); got != w/2 {
			t.Errorf("retry %d, no jitter: %v, want %v", n+1, got, w/2)
		}
		if got := r.Delay(n+1, hi); got < w-time.Millisecond || got > w {
			t.Errorf("retry %d, full jitter: %v, want about %v", n+1, got, w)
		}
	}
	if got, want := r.Window(), (50+100+200+400+500)*time.Millisecond; got != want {
		t.Fatalf("window %v, want %v", got, want)
	}
}

func TestQueueBoundedFIFO(t *testing.T) {
	q := newQueue(2)
	for i, want := range []bool{true, true, false} {
		if got := q.Push(Event{ID: string(rune('a' + i))}); got != want {
			t.Fatalf("push %d: %v, want %v", i, got, want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, want := range []string{"a", "b"} {
		if ev, ok := q.Pop(ctx); !ok || ev.ID != want {
			t.Fatalf("pop: %q %v, want %q", ev.ID, ok, want)
		}
	}
	got := make(chan string)
	go func() {
		ev, _ := q.Pop(ctx)
		got <- ev.ID
	}()
	q.Push(Event{ID: "late"})
	if id := <-got; id != "late" {
		t.Fatalf("blocked pop got %q", id)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, ok := q.Pop(done); ok {
		t.Fatal("pop on an ended context returned an event")
	}
}

func rec(kind wal.Kind) wal.Record {
	return wal.Record{Kind: kind, ResourceID: "i-1", Time: time.Unix(100, 0), Node: "ovi-1", Term: 3, CycleID: "c-9", DecisionID: "c-9-1"}
}

func decided(action wal.Action, drift wal.Drift, reason string) wal.Record {
	r := rec(wal.KindDecided)
	r.Decided = &wal.Decided{Action: action, Drift: drift, ResourceKind: wal.ResourceInstance, Reason: reason, Group: "web"}
	return r
}

func TestFromRecordClassifies(t *testing.T) {
	dry := decided(wal.ActionDelete, wal.DriftUnwanted, "Delete: Not in desired configuration")
	dry.Decided.DryRun = true
	exed := rec(wal.KindExecuted)
	exed.Executed = &wal.Executed{Action: wal.ActionCreate, Message: "Successfully created", ResourceIDs: []string{"i-2"}}
	fail := rec(wal.KindFailed)
	fail.Failed = &wal.Failed{Action: wal.ActionDelete, Code: "UnauthorizedOperation", Message: "no\nsecond line"}
	lead := rec(wal.KindLeadership)
	lead.Leadership = &wal.Leadership{Leader: "ovi-2", Previous: "ovi-1"}
	cmp := rec(wal.KindCompaction)
	cmp.Compaction = &wal.Compaction{Revision: 10}
	adopted := rec(wal.KindExecuted)
	adopted.Executed = &wal.Executed{Action: wal.ActionAdopt, Message: "Adopted into web"}
	adopt := decided(wal.ActionAdopt, wal.DriftUnmanaged, "Adopt into web")
	obs := rec(wal.KindObserved)
	obs.Observed = &wal.Observed{Change: wal.ChangeNew, Resource: wal.Resource{ID: "i-1", Kind: wal.ResourceInstance, Instance: &wal.Instance{}}}
	cases := []struct {
		name string
		r    wal.Record
		want EventType // "" = no event
	}{
		{"create", decided(wal.ActionCreate, wal.DriftMissing, "Create: 1 missing"), DriftDetected},
		{"delete", decided(wal.ActionDelete, wal.DriftUnwanted, "Delete: Not in desired configuration"), DriftDetected},
		{"refused disruptive", decided(wal.ActionRefuse, wal.DriftDrifted, "Refused: resize is disruptive"), DriftDetected},
		{"blessed", decided(wal.ActionRefuse, wal.DriftUnwanted, "Protected: tagged ovi:blessed"), DeleteRefused},
		{"cap", decided(wal.ActionHold, wal.DriftUnwanted, "Held: deletion cap of 1 per run reached"), DeleteRefused},
		{"re-check", decided(wal.ActionHold, wal.DriftUnwanted, "Held: re-checking before delete (first seen unwanted)"), ""},
		{"unmanaged", decided(wal.ActionReport, wal.DriftUnmanaged, "Report: unmanaged"), ""},
		{"dry run", dry, ""},
		{"executed", exed, DriftRepaired},
		{"adopted", adopted, Adopted},
		{"adopt decided", adopt, ""},
		{"failed", fail, ActionFailed},
		{"leader", lead, LeaderChanged},
		{"compaction", cmp, Compacted},
		{"observed", obs, ""},
	}
	for _, c := range cases {
		ev, ok := FromRecord(Position{Main: 12, Sub: 2}, &c.r)
		if c.want == "" {
			if ok {
				t.Errorf("%s: event %s, want none", c.name, ev.Type)
			}
			continue
		}
		if !ok || ev.Type != c.want || ev.ID != "12.2" || ev.Cycle != "c-9" || ev.Kind != c.r.Kind {
			t.Errorf("%s: %+v %v, want %s with id 12.2", c.name, ev, ok, c.want)
		}
	}
	ev, _ := FromRecord(Position{Main: 1}, &fail)
	if ev.Reason != "Deletion failed: UnauthorizedOperation: no" || ev.Code != "UnauthorizedOperation" {
		t.Errorf("failed event reason %q code %q: want one line and the code", ev.Reason, ev.Code)
	}
}

func validReceiver() Receiver {
	return Receiver{Name: "ops", URL: "https://hooks.example.com/ovi", Secret: "k"}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Receiver)
		path string
		msg  string
	}{
		{"no name", func(r *Receiver) { r.Name = "" }, "$.notifications[0]", "name is required"},
		{"bad name", func(r *Receiver) { r.Name = "a b" }, "$.notifications[0].name", "letters, digits"},
		{"no url", func(r *Receiver) { r.URL = "" }, "$.notifications[0]", "url is required"},
		{"ftp", func(r *Receiver) { r.URL = "ftp://x/y" }, "$.notifications[0].url", "not an http:// or https:// URL"},
		{"userinfo", func(r *Receiver) { r.URL = "https://u:p@x/y" }, "$.notifications[0].url", "credentials"},
		{"no secret", func(r *Receiver) { r.Secret = "" }, "$.notifications[0]", "secret or secret_file is required"},
		{"both", func(r *Receiver) { r.SecretFile = empty }, "$.notifications[0].secret_file", "not both"},
		{"missing file", func(r *Receiver) { r.Secret, r.SecretFile = "", filepath.Join(dir, "nope") }, "$.notifications[0].secret_file", "no such file"},
		{"empty file", func(r *Receiver) { r.Secret, r.SecretFile = "", empty }, "$.notifications[0].secret_file", "is empty"},
		{"event", func(r *Receiver) { r.Events = []EventType{DriftDetected, "drift"} }, "$.notifications[0].events[1]", `unknown event type "drift"`},
		{"queue", func(r *Receiver) { r.QueueSize = -1 }, "$.notifications[0].queue_size", "want 1 to"},
		{"attempts", func(r *Receiver) { r.Retry.Attempts = 1000 }, "$.notifications[0].retry.attempts", "want 1 to 100"},
		{"backoff", func(r *Receiver) { r.Retry.InitialBackoff, r.Retry.MaxBackoff = time.Minute, time.Second }, "$.notifications[0].retry.max_backoff", "at least"},
	}
	for _, c := range cases {
		r := validReceiver()
		c.edit(&r)
		err := Validate([]Receiver{r})
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrConfig) || fe.Path() != c.path || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v (path %v), want %s at %s", c.name, err, fe, c.msg, c.path)
		}
	}
	if err := Validate([]Receiver{validReceiver(), validReceiver()}); err == nil || !strings.Contains(err.Error(), "notifications[1].name") {
		t.Errorf("duplicate names: %v", err)
	}
	if err := Validate([]Receiver{validReceiver()}); err != nil {
		t.Errorf("valid: %v", err)
	}
}

func TestSecretFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := Receiver{SecretFile: p}
	if k, err := r.Key(); err != nil || string(k) != "hunter2" {
		t.Fatalf("key %q (%v), want the file without its newline", k, err)
	}
}

func TestParseFlag(t *testing.T) {
	r, err := ParseFlag("name=ops,url=https://h.example/x,secret=k,events=drift.detected+action.failed,timeout=2s,queue_size=10,attempts=3,initial_backoff=10ms,max_backoff=1s")
	want := Receiver{Name: "ops", URL: "https://h.example/x", Secret: "k", Events: []EventType{DriftDetected, ActionFailed},
		Timeout: 2 * time.Second, QueueSize: 10, Retry: Retry{Attempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: time.Second}}
	if err != nil || r.Name != want.Name || r.URL != want.URL || len(r.Events) != 2 || r.Timeout != want.Timeout || r.Retry != want.Retry || r.QueueSize != 10 {
		t.Fatalf("ParseFlag = %+v (%v), want %+v", r, err, want)
	}
	for in, msg := range map[string]string{
		"name=ops,colour=red":   "unknown key",
		"name=ops,timeout=soon": "--notify timeout",
		"name=ops,url":          "want key=value pairs",
	} {
		if _, err := ParseFlag(in); err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
}

// TestDefaultRetryWindow pins the figures docs/operations.md gives for
// the defaults: at least 61.5 s of retries over 8 attempts.
func TestDefaultRetryWindow(t *testing.T) {
	r := Receiver{}.WithDefaults()
	if r.Retry.Attempts != 8 || r.Timeout != 5*time.Second || r.QueueSize != 1024 {
		t.Fatalf("defaults %+v", r)
	}
	if w := r.Retry.Window(); w != 61500*time.Millisecond {
		t.Fatalf("default window %v, want 61.5s", w)
	}
	var most time.Duration
	for n := 1; n < r.Retry.Attempts; n++ {
		most += r.Retry.Delay(n, func() float64 { return 1 })
	}
	if most != 123*time.Second {
		t.Fatalf("longest backoff %v, want 123s", most)
	}
}
