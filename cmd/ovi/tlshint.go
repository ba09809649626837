package main

import (
	"crypto/x509"
	"errors"
	"strings"

	"github.com/yairfalse/ovi/transport"
)

// tlsHint is the hint for a failed connection to a TLS agent, or "".
func tlsHint(err error) string {
	var apiErr *transport.APIError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	msg := err.Error()
	switch {
	case errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "HTTP request to an HTTPS server"):
		return "the agent speaks TLS: use --address https://HOST:PORT with --ca-file, --cert-file and --key-file"
	case errors.As(err, &unknownCA):
		return "the agent's certificate is not signed by a CA you trust: give the cluster CA with --ca-file (or OVI_CA_FILE)"
	case errors.As(err, &hostErr):
		return "the agent's certificate does not name the address you used: connect to an IP or DNS name it names, or reissue it with 'ovi tls cert create --ip/--dns'"
	case errors.As(err, &invalid):
		return "the agent's certificate is not valid now (expired?): check its dates and this machine's clock"
	case strings.Contains(msg, "tls: certificate required") || strings.Contains(msg, "tls: bad certificate") ||
		strings.Contains(msg, "tls: unknown certificate authority"):
		return "the agent requires a client certificate of the cluster CA: give --cert-file and --key-file (create one with 'ovi tls cert create --client --name NAME')"
	}
	return ""
}
