package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// WriteRevision is WriteJSON of a ProposeResponse, byte for byte, with a
// Content-Length.
func TestWriteRevisionIsWriteJSONsBytes(t *testing.T) {
	for _, rev := range []uint64{0, 1, 42, 1 << 40, math.MaxUint64} {
		want := httptest.NewRecorder()
		WriteJSON(want, http.StatusOK, &ProposeResponse{Revision: rev})
		got := httptest.NewRecorder()
		WriteRevision(got, rev)
		if got.Code != http.StatusOK || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Fatalf("revision %d: %d %q, want %d %q", rev, got.Code, got.Body, want.Code, want.Body)
		}
		if ct := got.Header().Get("Content-Type"); ct != ContentTypeJSON {
			t.Errorf("revision %d: Content-Type %q", rev, ct)
		}
		if cl := got.Header().Get("Content-Length"); cl != strconv.Itoa(want.Body.Len()) {
			t.Errorf("revision %d: Content-Length %q, want %d", rev, cl, want.Body.Len())
		}
	}
}

// countingListener counts the connections a server accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// The client's requests: the path and query on the base's host, the token
// and the JSON body with its length; the answers of a write (a sized
// body) and of a large chunked one both decode, and sequential calls
// share one keep-alive connection.
func TestClientRequestsAndKeepAlive(t *testing.T) {
	big := strings.Repeat("x", 2*maxSizedAnswer)
	mux := http.NewServeMux()
	mux.HandleFunc(PathNote, func(w http.ResponseWriter, r *http.Request) {
		var in NoteRequest
		if e := DecodeBody(w, r, &in); e != nil {
			WriteError(w, e)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != ContentTypeJSON ||
			r.ContentLength <= 0 || r.Host != r.Context().Value(http.LocalAddrContextKey).(net.Addr).String() {
			WriteError(w, Errorf(CodeBadRequest, "headers %v, length %d, host %q", r.Header, r.ContentLength, r.Host))
			return
		}
		WriteRevision(w, uint64(len(in.Text)))
	})
	mux.HandleFunc(PathHealth, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" || r.Header.Get("Content-Type") != "" {
			WriteError(w, Errorf(CodeBadRequest, "query %q, content type %q", r.URL.RawQuery, r.Header.Get("Content-Type")))
			return
		}
		WriteJSON(w, http.StatusOK, &HealthResponse{Status: "ok", Node: big}) // over 2 KiB: chunked
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: ln}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(counted) }()
	t.Cleanup(func() { _ = srv.Close() })
	c, err := NewClient(ln.Addr().String(), ClientOptions{Token: "tok", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // shorter than the client's timeout
	defer cancel()
	for i := range 50 {
		res, err := c.Note(ctx, NoteRequest{ResourceID: "r", Text: strings.Repeat("n", i)})
		if err != nil || res.Revision != uint64(i) {
			t.Fatalf("note %d: %+v, %v", i, res, err)
		}
	}
	h, err := c.Health(context.Background())
	if err != nil || h.Node != big {
		t.Fatalf("health: %d bytes, %v", len(h.Node), err)
	}
	if n := counted.accepted.Load(); n != 1 {
		t.Fatalf("51 sequential calls used %d connections, want 1 (keep-alive)", n)
	}
}

// A base URL with a path keeps it in front of every request's path.
func TestClientBaseURLWithAPath(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.Path)
		WriteJSON(w, http.StatusOK, &HealthResponse{Status: "ok"})
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL+"/agent/", ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := got.Load(); p != "/agent"+PathHealth {
		t.Fatalf("path %v, want /agent%s", p, PathHealth)
	}
}

// BenchmarkClientNote: one note's round trip through the typed client to
// a server answering with WriteRevision (the client's own CPU and
// allocations are most of it: the server's handler is trivial).
func BenchmarkClientNote(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ContentTypeJSON)
		_ = json.NewEncoder(w).Encode(&ProposeResponse{Revision: 7})
	}))
	b.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, ClientOptions{Token: "tok"})
	if err != nil {
		b.Fatal(err)
	}
	in := NoteRequest{ResourceID: "k12345", Text: strings.Repeat("n", 256)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Note(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
