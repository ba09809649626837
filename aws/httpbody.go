package aws

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// privateBody is an HTTP client that gives net/http its own in-memory copy
// of each request body.
//
// The SDK closes the request body as soon as the response arrives. Its
// body is no reader net/http knows to be in memory, so net/http flushes
// the headers, writes the body to the socket and only then reads it once
// more past Content-Length. When the endpoint has answered in between,
// that read finds the body closed (its WriteTo says io.EOF), net/http
// takes it for a failed write, closes the connection under the response
// being read, and the SDK retries a call the endpoint already executed
// ("use of closed network connection", aws/aws-sdk-go-v2#2737;
// TestTheSDKsBodyCloseTearsDownAFastAnswer in aws/ec2sim replays it). A
// copy in a bytes.Reader goes out with its headers in one write, and
// nothing closes it under net/http. EC2 Query bodies are small form
// documents (under 100 KB for 1000 ids), so a copy is cheap, and it keeps
// every call counted once against EC2's buckets.
type privateBody struct {
	next awssdk.HTTPClient
}

// Do implements aws.HTTPClient.
func (c privateBody) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.next.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("aws: reading request body: %w", err)
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	return c.next.Do(out)
}

// PrivateBodyClient wraps next so that net/http gets its own copy of each
// request body, as the provider's client does (see privateBody); the
// simulator's tests give their SDK clients the same, so a fast answer
// never races the SDK's close of the body.
func PrivateBodyClient(next awssdk.HTTPClient) awssdk.HTTPClient { return privateBody{next: next} }
