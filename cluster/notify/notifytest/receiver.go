// Package notifytest is a real webhook receiver on 127.0.0.1 for tests:
// it verifies every request's signature, keeps what it received, and can
// be taken down (its port closed) and brought back on the same port.
package notifytest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/notify"
)

// Request is one request the receiver answered.
type Request struct {
	Event     notify.Event
	Header    http.Header
	Attempt   int
	Verified  error // nil: the signature matched and was fresh
	Status    int   // what the receiver answered
	Malformed error // the body was not an event
}

// Receiver is a webhook endpoint.
type Receiver struct {
	secret []byte
	addr   string

	mu     sync.Mutex
	srv    *http.Server
	reqs   []Request
	status int           // answer to every request (200 unless set)
	hold   chan struct{} // non-nil: answers wait until it is closed (Release) or the sender goes away
	wake   chan struct{}
}

// Start listens on 127.0.0.1:0; Close runs at the end of the test.
func Start(t testing.TB, secret string) *Receiver {
	t.Helper()
	r := &Receiver{secret: []byte(secret), status: http.StatusOK, wake: make(chan struct{})}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.Down)
	return r
}

// URL is the receiver's endpoint.
func (r *Receiver) URL() string { return "http://" + r.addr + "/hook" }

func (r *Receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Down closes the port: deliveries fail with connection refused.
func (r *Receiver) Down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up listens on the same port again.
func (r *Receiver) Up(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", r.addr)
		if err == nil {
			r.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", r.addr, err)
		}
		time.Sleep(20 * time.Millisecond) // the port is being released: poll, bounded by the deadline
	}
}

// SetStatus makes the receiver answer code to every later request.
func (r *Receiver) SetStatus(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = code
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	got := Request{Header: req.Header.Clone(), Verified: err}
	if err == nil {
		got.Verified = notify.Verify(r.secret, body, req.Header.Get(notify.HeaderSignature), time.Now(), notify.DefaultTolerance)
	}
	got.Malformed = json.Unmarshal(body, &got.Event)
	got.Attempt, _ = strconv.Atoi(req.Header.Get(notify.HeaderAttempt))
	r.mu.Lock()
	got.Status = r.status
	r.reqs = append(r.reqs, got)
	close(r.wake)
	r.wake = make(chan struct{})
	hold := r.hold
	r.mu.Unlock()
	if hold != nil { // the event was received and processed; only the answer waits
		select {
		case <-hold:
		case <-req.Context().Done():
			return
		}
	}
	w.WriteHeader(got.Status)
}

// Hold makes later requests wait for their answer until Release: a
// receiver that has processed the event but not yet said so. It returns
// how many requests came before (the first held one is Requests()[n]).
func (r *Receiver) Hold() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hold == nil {
		r.hold = make(chan struct{})
	}
	return len(r.reqs)
}

// Release answers the held requests and stops holding.
func (r *Receiver) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hold != nil {
		close(r.hold)
		r.hold = nil
	}
}

// Requests returns every request answered so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Accepted returns the events answered with 2xx, in arrival order.
func (r *Receiver) Accepted() []notify.Event {
	var out []notify.Event
	for _, q := range r.Requests() {
		if q.Status/100 == 2 {
			out = append(out, q.Event)
		}
	}
	return out
}

// ErrTimeout is returned by Wait when the condition did not hold in time.
var ErrTimeout = errors.New("notifytest: condition not met in time")

// Wait blocks until cond holds for the requests received, or timeout.
func (r *Receiver) Wait(timeout time.Duration, cond func([]Request) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		reqs, wake := append([]Request(nil), r.reqs...), r.wake
		r.mu.Unlock()
		if cond(reqs) {
			return nil
		}
		select {
		case <-wake:
		case <-deadline.C:
			return ErrTimeout
		}
	}
}
