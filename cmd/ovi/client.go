package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
)

// errBadTLSFile is wrapped when a TLS flag names an unusable file.
var errBadTLSFile = errors.New("no PEM certificate found")

// newClient builds the agent API client from the global flags.
func newClient(g globalOptions) (*transport.Client, error) {
	tlsConf, err := clientTLS(g)
	if err != nil {
		return nil, err
	}
	c, err := transport.NewClient(g.Address, transport.ClientOptions{TLS: tlsConf, Token: g.Token})
	if err != nil {
		return nil, newCLIError("--address", err, "")
	}
	return c, nil
}

// clientTLS returns the TLS configuration the flags ask for: nil for plain
// HTTP; for https:// or any TLS flag, the system roots or --ca-file, and
// the --cert-file/--key-file pair for mutual TLS.
func clientTLS(g globalOptions) (*tls.Config, error) {
	if !strings.HasPrefix(g.Address, "https://") && g.CAFile == "" && g.CertFile == "" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if g.CAFile != "" {
		pem, err := os.ReadFile(g.CAFile)
		if err != nil {
			return nil, newCLIError("--ca-file", err, "")
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, newCLIError("--ca-file "+g.CAFile, errBadTLSFile, "")
		}
		conf.RootCAs = pool
	}
	if g.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(g.CertFile, g.KeyFile)
		if err != nil {
			return nil, newCLIError("--cert-file/--key-file", err, "")
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// session is what a client command needs: validated globals, the client
// and the render options.
type session struct {
	g        globalOptions
	client   *transport.Client
	render   renderOptions
	embedded *embedded // standalone mode's node, nil otherwise
}

// newSession validates the globals and connects the client (lazily: no
// request is made yet).
func newSession(c *cli.Context) (*session, error) {
	g, err := globalsFrom(c)
	if err != nil {
		return nil, err
	}
	var node *embedded
	if wantsStandalone(c, g) {
		if node, g.Address, err = startEmbedded(c.Context, c.App.ErrWriter); err != nil {
			return nil, newCLIError("standalone", err, "start an agent with 'ovi agent -dev', or point --address / OVI_ADDR at a running node")
		}
	}
	client, err := newClient(g)
	if err != nil {
		node.stop()
		return nil, err
	}
	return &session{g: g, client: client, render: renderOptionsFrom(c, g), embedded: node}, nil
}

// consistency is the transport's read consistency level.
func (s *session) consistency() transport.Consistency {
	return transport.Consistency(s.g.Consistency)
}

// close releases the client's connections.
func (s *session) close() {
	s.client.Close()
	s.embedded.stop()
}

// apiFailure turns a failed API call into a one-line error with a hint
// for the well-known failures.
func (s *session) apiFailure(what string, err error) error {
	var apiErr *transport.APIError
	switch {
	case tlsHint(err) != "":
		return newCLIError(what, err, tlsHint(err))
	case errors.As(err, &apiErr):
		return newCLIError(what, err, apiHint(apiErr.Code))
	case errors.Is(err, syscall.ECONNREFUSED):
		return newCLIError(what, err, "no agent answers at "+s.g.Address+
			"; start one with 'ovi agent -dev', or point --address / OVI_ADDR at a running node")
	case hintFor(err) != "":
		return newCLIError(what, err, "")
	}
	return newCLIError(what, err, "is an Ovi agent listening at "+s.g.Address+"? check --address / OVI_ADDR")
}

// apiHint is the hint for an API error code.
func apiHint(code string) string {
	switch code {
	case transport.CodeCompacted:
		return "that revision's history was compacted; ask for a later revision"
	case transport.CodeFutureRevision:
		return "that revision does not exist yet; 'ovi state' shows the current one"
	case transport.CodeOutcomeUnknown:
		return "the write may or may not have committed (the leader changed or did not answer in time); check 'ovi wal replay --tail 20' before running it again"
	case transport.CodeNotLeader:
		return "the leader changed before the write was appended, so nothing was written; run it again"
	case transport.CodeNoLeader:
		return "the cluster has no leader; check 'ovi members' and 'ovi operator raft list-peers', or read this node's copy with --consistency stale"
	case transport.CodeStale:
		return "this node has lost touch with the leader; retry, ask another node, or read anyway with --consistency stale"
	case transport.CodeUnauthorized:
		return "give the API token with --token or OVI_TOKEN"
	case transport.CodeForbidden:
		return "this needs the write token (--token or OVI_TOKEN); the token given has read scope only"
	case transport.CodeNotFound:
		return "check the name or id; 'ovi state' lists what exists"
	}
	return ""
}
