package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

func newTestClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, ClientOptions{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestClientDecodesJSONErrors(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, Errorf(CodeCompacted, "mvcc: required revision has been compacted"))
	}))
	_, err := c.State(context.Background(), StateQuery{Revision: 3})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v (%T), want *APIError", err, err)
	}
	if apiErr.Code != CodeCompacted || apiErr.Status != http.StatusGone || !strings.Contains(apiErr.Message, "compacted") {
		t.Fatalf("apiErr = %+v", apiErr)
	}
}

func TestClientNonJSONError(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "teapot trouble\nmore", http.StatusServiceUnavailable)
	}))
	_, err := c.Health(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeUnavailable || !strings.Contains(apiErr.Message, "teapot trouble") || strings.Contains(apiErr.Message, "more") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientSendsQueryAndBody(t *testing.T) {
	since := time.Date(2024, 5, 1, 10, 30, 0, 5, time.UTC)
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathWAL:
			q, err := ParseWALQuery(r.URL.Query())
			if err != nil {
				WriteError(w, Errorf(CodeBadRequest, "%v", err))
				return
			}
			if q.ResourceID != "i-1" || len(q.Kinds) != 2 || !q.Since.Equal(since) || q.After != (Revision{Main: 7, Sub: 2}) || q.Limit != 5 || q.Consistency != Consistent {
				WriteError(w, Errorf(CodeBadRequest, "query = %+v", q))
				return
			}
			out := WALResponse{Revision: 9, Records: []WALEntry{{Revision: Revision{Main: 8}, Record: noteRecord("x")}}}
			WriteJSON(w, http.StatusOK, &out)
		case PathNote:
			var in NoteRequest
			if e := DecodeBody(w, r, &in); e != nil {
				WriteError(w, e)
				return
			}
			out := ProposeResponse{Revision: uint64(len(in.Text))}
			WriteJSON(w, http.StatusOK, &out)
		}
	}))
	ctx := context.Background()
	res, err := c.WAL(ctx, WALQuery{ResourceID: "i-1", Kinds: []wal.Kind{wal.KindNote, wal.KindFailed}, Since: since,
		After: Revision{Main: 7, Sub: 2}, Limit: 5, Consistency: Consistent})
	if err != nil || len(res.Records) != 1 || res.Records[0].Record.Note.Text != "x" {
		t.Fatalf("WAL = %+v, %v", res, err)
	}
	pr, err := c.Note(ctx, NoteRequest{Text: "four"})
	if err != nil || pr.Revision != 4 {
		t.Fatalf("Note = %+v, %v", pr, err)
	}
}

func noteRecord(text string) wal.Record {
	return wal.Record{Kind: wal.KindNote, Time: time.Unix(1, 0).UTC(), Node: "n1", Note: &wal.Note{Text: text}}
}

func TestDecodeBodyLimitsAndUnknownFields(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in JoinRequest
		if e := DecodeBody(w, r, &in); e != nil {
			WriteError(w, e)
			return
		}
		out := JoinResponse{Joined: len(in.Addresses)}
		WriteJSON(w, http.StatusOK, &out)
	}))
	post := func(body string) (int, ErrorBody) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.Address()+PathJoin, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var eb ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		return resp.StatusCode, eb
	}
	if st, eb := post(`{"addresses":["a"],"bogus":1}`); st != 400 || !strings.Contains(eb.Error.Message, "bogus") {
		t.Fatalf("unknown field: %d %+v", st, eb)
	}
	if st, eb := post(`{"addresses":["` + strings.Repeat("a", MaxRequestBody) + `"]}`); st != 413 || eb.Error.Code != CodeTooLarge {
		t.Fatalf("too large: %d %+v", st, eb)
	}
	if st, _ := post(`{"addresses":[]} {}`); st != 400 {
		t.Fatalf("trailing data: %d", st)
	}
	if res, err := c.Join(context.Background(), "a", "b"); err != nil || res.Joined != 2 {
		t.Fatalf("Join = %+v, %v", res, err)
	}
}

func TestClientFollowStreamsUntilError(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentTypeNDJS)
		enc := json.NewEncoder(w)
		for i := range 3 {
			_ = enc.Encode(FollowLine{Entry: &WALEntry{Revision: Revision{Main: uint64(i + 1)}, Record: noteRecord(fmt.Sprint(i))}})
		}
		_ = enc.Encode(FollowLine{Error: Errorf(CodeCompacted, "gone")})
	}))
	var got []uint64
	err := c.Follow(context.Background(), WALQuery{}, func(e WALEntry) error {
		got = append(got, e.Revision.Main)
		return nil
	})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeCompacted || len(got) != 3 || got[2] != 3 {
		t.Fatalf("got %v, err %v", got, err)
	}
}

func TestClientReconcileAndSnapshot(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathReconcile:
			var in ReconcileRequest
			if e := DecodeBody(w, r, &in); e != nil {
				WriteError(w, e)
				return
			}
			enc := json.NewEncoder(w)
			rec := noteRecord(fmt.Sprint(in.DryRun))
			_ = enc.Encode(ReconcileLine{Record: &rec})
		case PathSnapshot:
			_, _ = w.Write(bytes.Repeat([]byte{7}, 1000))
		}
	}))
	var texts []string
	err := c.Reconcile(context.Background(), ReconcileRequest{DryRun: true}, func(r wal.Record) error {
		texts = append(texts, r.Note.Text)
		return nil
	})
	if err != nil || len(texts) != 1 || texts[0] != "true" {
		t.Fatalf("Reconcile: %v %v", texts, err)
	}
	var buf bytes.Buffer
	if n, err := c.Snapshot(context.Background(), &buf); err != nil || n != 1000 {
		t.Fatalf("Snapshot: %d %v", n, err)
	}
}

func TestClientUnreachableFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c, err := NewClient(addr, ClientOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Status(context.Background()); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("unreachable agent not reported within seconds")
	}
}

func TestClientTimeoutOnSilentServer(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	c := newTestClient(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	c.timeout = 200 * time.Millisecond
	if _, err := c.Status(context.Background()); err == nil {
		t.Fatal("silent server: no error")
	}
}

func TestBadAddresses(t *testing.T) {
	for _, a := range []string{"", "ftp://x", "http://"} {
		if _, err := NewClient(a, ClientOptions{}); err == nil {
			t.Errorf("NewClient(%q) accepted", a)
		}
	}
	c, err := NewClient("127.0.0.1:7400", ClientOptions{TLS: testTLS(t)})
	if err != nil || c.Address() != "https://127.0.0.1:7400" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestQueryRoundTrips(t *testing.T) {
	sq := StateQuery{Revision: 5, Prefix: "resources/", Consistency: Stale}
	if got, err := ParseStateQuery(sq.Values()); err != nil || got != sq {
		t.Fatalf("state: %+v %v", got, err)
	}
	dq := DiffQuery{From: 1, To: 9, Consistency: Default}
	if got, err := ParseDiffQuery(dq.Values()); err != nil || got != dq {
		t.Fatalf("diff: %+v %v", got, err)
	}
	bad := []string{"revision=-1", "consistency=maybe", "kind=nope", "since=yesterday", "limit=-3", "after=x.1"}
	for _, b := range bad {
		v, _ := parseQueryString(b)
		_, e1 := ParseStateQuery(v)
		_, e2 := ParseWALQuery(v)
		if e1 == nil && e2 == nil {
			t.Errorf("%s accepted", b)
		}
	}
	if _, err := ParseHistoryQuery(nil); err == nil {
		t.Error("history without key accepted")
	}
}
