package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// soloClient starts a one-node cluster and returns it with an API client.
func soloClient(t *testing.T, mutate func(*Config)) (*Agent, *transport.Client) {
	t.Helper()
	return soloClientWith(t, mutate, nil)
}

// soloClientWith is soloClient with the agent hosting rec.
func soloClientWith(t *testing.T, mutate func(*Config), rec Reconciler) (*Agent, *transport.Client) {
	t.Helper()
	cfg := testConfig(t, "solo", 1)
	if mutate != nil {
		mutate(&cfg)
	}
	a := startAgentWith(t, cfg, rec)
	waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	c, err := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: cfg.ACL.WriteToken})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

func apiCode(err error) string {
	var apiErr *transport.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return ""
}

func TestHTTPStateHistoryDiffCompact(t *testing.T) {
	_, c := soloClient(t, nil)
	ctx := context.Background()
	var revs []uint64
	for i := range 4 {
		res, err := c.Note(ctx, transport.NoteRequest{ResourceID: "k", Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, res.Revision)
	}
	st, err := c.State(ctx, transport.StateQuery{Revision: revs[1], Prefix: "notes/"})
	if err != nil || st.Revision != revs[1] || len(st.Entries) != 1 || st.Entries[0].Record.Note.Text != "1" || st.Time.IsZero() {
		t.Fatalf("state at %d = %+v, %v", revs[1], st, err)
	}
	h, err := c.History(ctx, transport.HistoryQuery{Key: "notes/k"})
	if err != nil || len(h.Versions) != 4 {
		t.Fatalf("history = %+v, %v", h, err)
	}
	d, err := c.Diff(ctx, transport.DiffQuery{From: revs[0], To: revs[3]})
	if err != nil || len(d.Changes) != 1 || d.Changes[0].Before.Record.Note.Text != "0" || d.Changes[0].After.Record.Note.Text != "3" {
		t.Fatalf("diff = %+v, %v", d, err)
	}
	if _, err := c.State(ctx, transport.StateQuery{Revision: revs[3] + 100}); apiCode(err) != transport.CodeFutureRevision {
		t.Fatalf("future revision: %v", err)
	}
	if _, err := c.Compact(ctx, transport.CompactRequest{Revision: revs[2]}); err != nil {
		t.Fatalf("compact: %v", err)
	}
	waitFor(t, "compaction", 5*time.Second, func() bool {
		_, err := c.State(ctx, transport.StateQuery{Revision: revs[0]})
		return apiCode(err) == transport.CodeCompacted
	})
	if _, err := c.Compact(ctx, transport.CompactRequest{Revision: 1 << 40}); apiCode(err) != transport.CodeFutureRevision {
		t.Fatalf("compact in the future: %v", err)
	}
}

func TestHTTPWALReplayAndFollow(t *testing.T) {
	_, c := soloClient(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := c.Note(ctx, transport.NoteRequest{ResourceID: "a", Text: "before"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan transport.WALEntry, 10)
	followErr := make(chan error, 1)
	go func() {
		followErr <- c.Follow(ctx, transport.WALQuery{After: transport.Revision{Main: first.Revision}}, func(e transport.WALEntry) error {
			got <- e
			return nil
		})
	}()
	for i := range 3 {
		if _, err := c.Note(ctx, transport.NoteRequest{ResourceID: "b", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		select {
		case e := <-got:
			if e.Record.Note.Text != fmt.Sprint(i) {
				t.Fatalf("follow %d = %+v", i, e)
			}
		case <-ctx.Done():
			t.Fatal("follow did not deliver")
		}
	}
	w, err := c.WAL(ctx, transport.WALQuery{ResourceID: "b", Kinds: []wal.Kind{wal.KindNote}, Limit: 2})
	if err != nil || len(w.Records) != 2 || w.Records[0].Record.ResourceID != "b" {
		t.Fatalf("replay = %+v, %v", w, err)
	}
	for _, q := range []transport.WALQuery{{Limit: 2, Last: true}, {ResourceID: "b", Limit: 2, Last: true}} {
		w, err = c.WAL(ctx, q)
		if err != nil || len(w.Records) != 2 || w.Records[0].Record.Note.Text != "1" || w.Records[1].Record.Note.Text != "2" || !w.More {
			t.Fatalf("last 2 of %+v = %+v, %v", q, w, err)
		}
	}
	cancel()
	if err := <-followErr; err != nil {
		t.Fatalf("follow ended with %v", err)
	}
}

func TestHTTPBadInputIsJSONNeverPanic(t *testing.T) {
	a, _ := soloClient(t, nil)
	base := "http://" + a.HTTPAddr()
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/v1/nope", "", 404, transport.CodeNotFound},
		{"DELETE", transport.PathState, "", 405, transport.CodeMethod},
		{"GET", transport.PathState + "?revision=abc", "", 400, transport.CodeBadRequest},
		{"GET", transport.PathState + "?consistency=eventually", "", 400, transport.CodeBadRequest},
		{"GET", transport.PathWAL + "?kind=bogus", "", 400, transport.CodeBadRequest},
		{"GET", transport.PathWAL + "?last=true", "", 400, transport.CodeBadRequest},
		{"GET", transport.PathWAL + "?last=yes&limit=1", "", 400, transport.CodeBadRequest},
		{"GET", transport.PathHistory, "", 400, transport.CodeBadRequest},
		{"POST", transport.PathNote, "{", 400, transport.CodeBadRequest},
		{"POST", transport.PathNote, `{"text":"x","extra":1}`, 400, transport.CodeBadRequest},
		{"POST", transport.PathNote, `{"text":"` + strings.Repeat("x", transport.MaxRequestBody) + `"}`, 413, transport.CodeTooLarge},
		{"POST", transport.PathJoin, `{"addresses":[]}`, 400, transport.CodeBadRequest},
		{"POST", transport.PathPropose, `{"records":[]}`, 400, transport.CodeBadRequest},
		{"POST", transport.PathPropose, `{"records":[{"kind":"note"}]}`, 400, transport.CodeBadRequest},
		{"POST", transport.PathRemovePeer, `{"id":"ghost"}`, 404, transport.CodeNotFound},
		{"POST", transport.PathRestore, "garbage", 400, transport.CodeBadRequest},
		{"POST", transport.PathReconcile, `{}`, 503, transport.CodeUnavailable},
		{"POST", transport.PathCompact, `{"revision":0}`, 400, transport.CodeBadRequest},
	}
	for _, tc := range cases {
		req, _ := http.NewRequestWithContext(context.Background(), tc.method, base+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb transport.ErrorBody
		decErr := json.NewDecoder(resp.Body).Decode(&eb)
		_ = resp.Body.Close()
		if resp.StatusCode != tc.status || decErr != nil || eb.Error.Code != tc.code || eb.Error.Message == "" {
			t.Errorf("%s %s: %d %+v (%v), want %d %s", tc.method, tc.path, resp.StatusCode, eb, decErr, tc.status, tc.code)
		}
	}
}

func TestHTTPSnapshotRestoreRoundTrip(t *testing.T) {
	_, c := soloClient(t, nil)
	ctx := context.Background()
	res, err := c.Note(ctx, transport.NoteRequest{ResourceID: "keep", Text: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if _, err := c.Snapshot(ctx, &snap); err != nil || snap.Len() == 0 {
		t.Fatalf("snapshot: %d bytes, %v", snap.Len(), err)
	}
	if _, err := c.Note(ctx, transport.NoteRequest{ResourceID: "keep", Text: "v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Restore(ctx, bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatalf("restore: %v", err)
	}
	st, err := c.State(ctx, transport.StateQuery{Prefix: "notes/", Consistency: transport.Consistent})
	if err != nil || len(st.Entries) != 1 || st.Entries[0].Record.Note.Text != "v1" || st.Entries[0].ModRevision.Main != res.Revision {
		t.Fatalf("after restore: %+v, %v", st, err)
	}
	after, err := c.Note(ctx, transport.NoteRequest{ResourceID: "keep", Text: "v3"})
	if err != nil || after.Revision <= res.Revision {
		t.Fatalf("write after restore: %+v, %v", after, err)
	}
}

func TestHTTPTokensAndMetrics(t *testing.T) {
	a, writer := soloClient(t, func(c *Config) { c.ACL = ACLConfig{ReadToken: "r", WriteToken: "w"} })
	ctx := context.Background()
	reader, _ := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: "r"})
	anon, _ := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{})
	if _, err := anon.Status(ctx); apiCode(err) != transport.CodeUnauthorized {
		t.Fatalf("anonymous status: %v", err)
	}
	if _, err := anon.Health(ctx); err != nil {
		t.Fatalf("health must stay open: %v", err)
	}
	if _, err := reader.Status(ctx); err != nil {
		t.Fatalf("reader status: %v", err)
	}
	if _, err := reader.Note(ctx, transport.NoteRequest{Text: "x"}); apiCode(err) != transport.CodeForbidden {
		t.Fatalf("reader write: %v", err)
	}
	if _, err := writer.Note(ctx, transport.NoteRequest{Text: "x"}); err != nil {
		t.Fatalf("writer write: %v", err)
	}
	text, err := writer.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	seen := map[string]bool{}
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			seen[strings.SplitN(f[0], "{", 2)[0]] = true
		}
	}
	for _, m := range []string{"ovi_raft_leader", "ovi_raft_last_contact_seconds", "ovi_raft_commit_index", "ovi_fsm_applied_index",
		"ovi_fsm_size_bytes", "ovi_raft_apply_duration_seconds_bucket", "ovi_raft_apply_duration_seconds_count"} {
		if !seen[m] {
			t.Errorf("metric %s missing from:\n%s", m, text)
		}
	}
}

func TestReconcileHookStreamsAndForwards(t *testing.T) {
	hook := ReconcileFunc(func(_ context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
		for i := range 2 {
			emit(wal.Record{Kind: wal.KindNote, Time: time.Unix(int64(i), 0).UTC(), Note: &wal.Note{Text: fmt.Sprint(req.DryRun, i)}})
		}
		return errors.New("provider unreachable")
	})
	_, c := soloClientWith(t, nil, hook)
	var texts []string
	err := c.Reconcile(context.Background(), transport.ReconcileRequest{DryRun: true}, func(r wal.Record) error {
		texts = append(texts, r.Note.Text)
		return nil
	})
	if len(texts) != 2 || texts[1] != "true 1" || err == nil || !strings.Contains(err.Error(), "provider unreachable") {
		t.Fatalf("texts %v, err %v", texts, err)
	}
}

func TestDefaultReadOnFollowerWithoutLeader(t *testing.T) {
	a := startAgent(t, testConfig(t, "lonely", 0))
	err := a.ReadBarrier(context.Background(), transport.Default)
	if apiCode(err) != transport.CodeNoLeader || !strings.Contains(err.Error(), "read local state with --consistency stale") {
		t.Fatalf("default read without a leader: %v (want the flag named as users type it)", err)
	}
	if err := a.ReadBarrier(context.Background(), transport.Stale); err != nil {
		t.Fatalf("stale read: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := a.ReadBarrier(ctx, transport.Consistent); err == nil {
		t.Fatal("consistent read without a leader succeeded")
	}
}
