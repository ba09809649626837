package ec2sim_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"

	oviaws "github.com/yairfalse/ovi/aws"
)

// gateWait bounds every wait of the body-race test.
const gateWait = 10 * time.Second

// TestTheSDKsBodyCloseTearsDownAFastAnswer replays, in a fixed order, the
// interleaving behind the throttling tests' flake (aws-sdk-go-v2#2737).
// The SDK's request body is not a known in-memory reader, so net/http
// flushes the headers, writes the body to the socket and only then reads
// the body once more to check its length. A fast server has answered by
// then; the SDK has returned from its HTTP client and closed the body,
// whose WriteTo now reports io.EOF; net/http takes that for a failed write
// and closes the connection under the response still being read. The
// writer is held right after the body is on the wire until the SDK has
// closed the body, which on a loaded machine happens by itself now and
// then. With the private body the provider and the tests use, the same
// call succeeds.
func TestTheSDKsBodyCloseTearsDownAFastAnswer(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.run(t, 40, "") // an answer of some 40 KB: more than net/http reads ahead
	ctx := context.Background()

	g := newWriteGate()
	_, err := gatedClient(h.url, g, false).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if !g.wasHeld() {
		t.Fatal("the SDK's body was written with its headers: the interleaving did not happen")
	}
	if err == nil || !strings.Contains(err.Error(), "use of closed network connection") {
		t.Fatalf("SDK client, writer held past the answer: err = %v, want use of closed network connection "+
			"(if the SDK no longer races, PrivateBodyClient may go)", err)
	}
	t.Logf("SDK client: %v", err)

	g = newWriteGate()
	out, err := gatedClient(h.url, g, true).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatalf("private body: %v", err)
	}
	if n := len(out.Reservations[0].Instances); n != 40 {
		t.Fatalf("private body: %d instances, want 40", n)
	}
	if g.wasHeld() {
		t.Fatal("private body: headers and body went out in separate writes")
	}
}

// gatedClient is an SDK client (one attempt) whose connections go through
// g and whose calls release g once the SDK's HTTP client has returned.
func gatedClient(url string, g *writeGate, private bool) *ec2.Client {
	var hc aws.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = g.dial
	})
	if private {
		hc = oviaws.PrivateBodyClient(hc)
	}
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   hc,
		Retryer:      func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
	}
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// Last in the deserialize step: right around the HTTP send,
			// after the SDK has closed the request body, before the
			// response body is read.
			return s.Deserialize.Add(g, middleware.After)
		})
	})
}

// writeGate holds a connection's body write (a write that follows the
// request line and headers) after its bytes are on the wire, until the
// call's HTTP send has returned.
type writeGate struct {
	responded chan struct{} // closed when the SDK's HTTP client has returned
	closed    chan struct{} // closed when net/http closes the connection

	mu        sync.Mutex
	head      bool // the last write was a request's headers alone
	held      bool // a body write was held
	closeOnce sync.Once
}

func newWriteGate() *writeGate {
	return &writeGate{responded: make(chan struct{}), closed: make(chan struct{})}
}

func (g *writeGate) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, g: g}, nil
}

func (g *writeGate) wasHeld() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}

// ID implements middleware.DeserializeMiddleware.
func (*writeGate) ID() string { return "bodyRaceGate" }

// HandleDeserialize releases a held writer once the send has returned and
// waits until it has done with the request (by closing the connection:
// what the race ends in).
func (g *writeGate) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	close(g.responded)
	if g.wasHeld() {
		select {
		case <-g.closed:
		case <-time.After(gateWait):
		}
	}
	return out, md, err
}

// gatedConn is a client connection seen by a writeGate. It hides the
// connection's ReadFrom, so net/http writes the body with Write.
type gatedConn struct {
	net.Conn
	g *writeGate
}

func (c *gatedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.g.mu.Lock()
	body := c.g.head
	c.g.head = bytes.HasPrefix(b, []byte("POST ")) && bytes.HasSuffix(b, []byte("\r\n\r\n")) // headers alone
	c.g.held = c.g.held || body
	c.g.mu.Unlock()
	if body {
		select {
		case <-c.g.responded:
		case <-time.After(gateWait):
		}
	}
	return n, err
}

func (c *gatedConn) Close() error {
	c.g.closeOnce.Do(func() { close(c.g.closed) })
	return c.Conn.Close()
}
