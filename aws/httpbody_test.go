package aws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closingBody fails every read once closed, like the SDK's request body.
type closingBody struct {
	r      io.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read on closed body")
	}
	return b.r.Read(p)
}

func (b *closingBody) Close() error { b.closed = true; return nil }

type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestPrivateBodySurvivesTheSDKClosingItsBody(t *testing.T) {
	const form = "Action=TerminateInstances&InstanceId.1=i-1"
	orig := &closingBody{r: strings.NewReader(form)}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://127.0.0.1:1/", orig)
	if err != nil {
		t.Fatal(err)
	}
	var sent string
	c := privateBody{next: doFunc(func(r *http.Request) (*http.Response, error) {
		_ = orig.Close() // the SDK closes its body while net/http may still read
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		sent = string(b)
		if r.ContentLength != int64(len(form)) {
			t.Fatalf("ContentLength = %d, want %d", r.ContentLength, len(form))
		}
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	_ = resp.Body.Close()
	if sent != form {
		t.Fatalf("sent %q, want %q", sent, form)
	}
}
