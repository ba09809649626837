package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Default client limits.
const (
	DefaultClientTimeout = 10 * time.Second
	DefaultDialTimeout   = 3 * time.Second
	maxErrorBody         = 64 << 10
	maxStreamLine        = 4 << 20
)

// ClientOptions configure a Client. Zero values give plain HTTP, a 10 s
// timeout per unary call and a 3 s dial timeout.
type ClientOptions struct {
	// Timeout bounds each unary call (and the wait for response headers of
	// a streaming call). Streaming bodies are bounded by the caller's ctx.
	Timeout time.Duration
	// DialTimeout bounds connecting to the agent.
	DialTimeout time.Duration
	// TLS, when set, makes the client speak HTTPS with this configuration.
	TLS *tls.Config
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string
	// Transport, when set, carries the client's requests instead of a
	// transport of the client's own (built by NewTransport from these
	// options): an agent shares one among its clients of the other nodes,
	// so that their keep-alive pools are sized once. Its timeouts and TLS
	// configuration then apply, not Timeout's header bound or TLS above
	// (TLS still selects https).
	Transport *http.Transport
}

// PoolLimits size a transport's keep-alive pool. Zero values give 64 idle
// connections per host, 256 over all hosts, and no bound on the
// connections per host.
type PoolLimits struct {
	MaxIdlePerHost int // idle connections kept per host
	MaxIdle        int // idle connections kept over all hosts
	MaxPerHost     int // connections per host, busy or idle; a request beyond it waits for one (0: unbounded)
}

// Keep-alive defaults. The idle timeout is shorter than the agent
// server's (2 min), so the client, not the server, closes an idle
// connection: a request is never written onto a connection the server is
// closing (for a POST, that failure would leave the outcome unknown).
const (
	defaultIdlePerHost = 64
	defaultIdleTotal   = 256
	clientIdleTimeout  = 90 * time.Second
)

// NewTransport returns the keep-alive HTTP transport of a client with
// opts (dial and header timeouts, TLS) and the pool limits.
func NewTransport(opts ClientOptions, limits PoolLimits) *http.Transport {
	opts = withDefaults(opts)
	if limits.MaxIdlePerHost <= 0 {
		limits.MaxIdlePerHost = defaultIdlePerHost
	}
	if limits.MaxIdle <= 0 {
		limits.MaxIdle = max(defaultIdleTotal, limits.MaxIdlePerHost)
	}
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       opts.TLS,
		TLSHandshakeTimeout:   opts.DialTimeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          limits.MaxIdle,
		MaxIdleConnsPerHost:   limits.MaxIdlePerHost,
		MaxConnsPerHost:       limits.MaxPerHost,
		IdleConnTimeout:       clientIdleTimeout,
	}
}

func withDefaults(opts ClientOptions) ClientOptions {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultClientTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	return opts
}

// Client is a typed client of the agent HTTP API. Any agent answers; writes
// are forwarded to the leader by the agent itself. Non-2xx answers are
// returned as *APIError (use errors.As to read the code). A Client is safe
// for concurrent use.
type Client struct {
	base     string
	url      url.URL  // base, parsed once: a request's URL is a copy with its path and query
	auth     []string // the Authorization value, or nil
	jsonType []string // the Content-Type value of a JSON body
	opts     ClientOptions
	http     *http.Client
	timeout  time.Duration
}

// NewClient returns a client of the agent at addr ("host:port" or a URL).
func NewClient(addr string, opts ClientOptions) (*Client, error) {
	base, err := baseURL(addr, opts.TLS != nil)
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts)
	tr := opts.Transport
	if tr == nil {
		tr = NewTransport(opts, PoolLimits{})
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("transport: bad agent address %q: %w", addr, err)
	}
	c := &Client{base: base, url: *u, jsonType: []string{ContentTypeJSON}, opts: opts, http: &http.Client{Transport: tr}, timeout: opts.Timeout}
	if opts.Token != "" {
		c.auth = []string{"Bearer " + opts.Token}
	}
	return c, nil
}

// Address is the base URL the client talks to.
func (c *Client) Address() string { return c.base }

// Close releases idle connections (of the shared Transport too, when one
// was given).
func (c *Client) Close() { c.http.CloseIdleConnections() }

func baseURL(addr string, useTLS bool) (string, error) {
	if addr == "" {
		return "", errors.New("transport: empty agent address")
	}
	if !strings.Contains(addr, "://") {
		scheme := "http"
		if useTLS {
			scheme = "https"
		}
		addr = scheme + "://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("transport: bad agent address %q (want host:port or http(s)://host:port)", addr)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// request builds an HTTP request with the client's headers. The URL is
// the path parsed alone, given the base's scheme and host (parsed once by
// NewClient): the base is not parsed again per request. The header values
// are the client's own slices, never written to (net/http only reads a
// request's header; a caller that sets a header replaces the value, as
// Header.Set does).
func (c *Client) request(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	target := path
	if c.url.Path != "" { // a base URL with a path of its own
		target = c.base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("transport: %s %s: %w", method, path, err)
	}
	if c.url.Path == "" {
		req.URL.Scheme, req.URL.Host, req.Host = c.url.Scheme, c.url.Host, c.url.Host
	}
	if len(q) > 0 {
		req.URL.RawQuery = q.Encode()
	}
	if body != nil {
		req.Header["Content-Type"] = c.jsonType
	}
	if c.auth != nil {
		req.Header["Authorization"] = c.auth
	}
	return req, nil
}

// send performs req and turns non-2xx answers into *APIError. The caller
// closes the body of a successful response.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("transport: %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer func() { _ = resp.Body.Close() }()
	return nil, decodeError(resp)
}

// decodeError reads an error body; non-JSON bodies become CodeInternal
// (or the status' meaning) with the body's first line as the message.
func decodeError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body ErrorBody
	if err := json.Unmarshal(raw, &body); err == nil && body.Error.Code != "" {
		body.Error.Status = resp.StatusCode
		return &body.Error
	}
	msg := strings.TrimSpace(string(raw))
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if msg == "" {
		msg = resp.Status
	}
	return &APIError{Status: resp.StatusCode, Code: codeForStatus(resp.StatusCode), Message: "unexpected answer " + resp.Status + ": " + msg}
}

// call performs one unary JSON call bounded by the client timeout (a
// caller's deadline that comes first bounds it alone: no second timer). A
// nil in sends no body; out receives the decoded 2xx answer.
func call[Req, Resp any](ctx context.Context, c *Client, method, path string, q url.Values, in *Req, out *Resp) error {
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > c.timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("transport: encode %s request: %w", path, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if err := decodeAnswer(resp, out); err != nil {
		return fmt.Errorf("transport: decode %s answer: %w", path, err)
	}
	return nil
}

// maxSizedAnswer is the largest answer decodeAnswer reads whole before
// decoding.
const maxSizedAnswer = 64 << 10

// decodeAnswer decodes a 2xx answer. One of a known, small length (every
// write's answer) is read whole into a buffer of that size and decoded
// from it — to its end, so the connection goes back to the pool at once —
// instead of through a json.Decoder and its growing buffer; a larger or
// chunked one is decoded as it streams.
func decodeAnswer[T any](resp *http.Response, out *T) error {
	if n := resp.ContentLength; n > 0 && n <= maxSizedAnswer {
		raw := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, raw); err != nil {
			return err
		}
		return json.Unmarshal(raw, out)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// readLines calls fn for each newline-delimited JSON line of r until EOF,
// an error line, or fn's error.
func readLines[Line any](r io.Reader, path string, fn func(*Line) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxStreamLine)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var line Line
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("transport: decode %s line: %w", path, err)
		}
		if err := fn(&line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("transport: read %s stream: %w", path, err)
	}
	return nil
}
