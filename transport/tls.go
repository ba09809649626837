package transport

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

// maxPEMFile bounds a certificate or key file.
const maxPEMFile = 1 << 20

// TLSFiles names a node's PEM files: the cluster CA certificate, the
// node's certificate and its private key.
type TLSFiles struct {
	CAFile   string
	CertFile string
	KeyFile  string
}

// MutualTLS is a node's pair of TLS configurations, one for each side of a
// connection, both anchored on the cluster CA alone (never the system
// roots):
//
//   - Server: presents the node certificate and requires a client
//     certificate that verifies against the CA (RequireAndVerifyClientCert,
//     client-auth usage); TLS 1.2 or newer.
//   - Client: presents the node certificate and verifies the server's
//     chain against the CA and its name against the address dialed: the
//     ServerName is the host part of the peer's advertised address (an IP,
//     matched against the certificate's IP SANs, or a DNS name); TLS 1.2
//     or newer. Callers leave ServerName empty: the stream layer and
//     net/http fill it in per connection.
type MutualTLS struct {
	Server *tls.Config
	Client *tls.Config
}

// LoadMutualTLS reads the PEM files and builds the node's configurations.
// Errors are one line naming the configuration key (tls.ca_file, ...).
func LoadMutualTLS(f TLSFiles) (*MutualTLS, error) {
	caPEM, err := readPEMFile("tls.ca_file", f.CAFile)
	if err != nil {
		return nil, err
	}
	certPEM, err := readPEMFile("tls.cert_file", f.CertFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readPEMFile("tls.key_file", f.KeyFile)
	if err != nil {
		return nil, err
	}
	return NewMutualTLS(caPEM, certPEM, keyPEM)
}

// NewMutualTLS builds the configurations from PEM data. It checks that the
// certificate and key match, that the certificate was issued by the CA and
// is valid now.
func NewMutualTLS(caPEM, certPEM, keyPEM []byte) (*MutualTLS, error) {
	pool, err := caPool(caPEM)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(firstCert(certPEM))
	if err != nil {
		return nil, fmt.Errorf("transport: tls.cert_file: no usable PEM certificate: %w", err)
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: time.Now()})
	if err != nil {
		return nil, fmt.Errorf("transport: tls.cert_file (%s) does not verify against tls.ca_file: %w", leaf.Subject.CommonName, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("transport: tls.key_file does not belong to tls.cert_file: %w", err)
	}
	server := &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	client := &tls.Config{
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}
	return &MutualTLS{Server: server, Client: client}, nil
}

// caPool parses the CA certificates; at least one must be a CA.
func caPool(caPEM []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	found := false
	for rest := caPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("transport: tls.ca_file: %w", err)
		}
		if c.IsCA {
			pool.AddCert(c)
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("transport: tls.ca_file holds no PEM CA certificate")
	}
	return pool, nil
}

// firstCert is the DER of the first CERTIFICATE block (nil if none).
func firstCert(certPEM []byte) []byte {
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		if block.Type == "CERTIFICATE" {
			return block.Bytes
		}
	}
}

// readPEMFile reads a size-bounded PEM file named by a configuration key.
func readPEMFile(key, path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("transport: %s is not set", key)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("transport: %s: %w", key, err)
	}
	if st.Size() > maxPEMFile {
		return nil, fmt.Errorf("transport: %s %s: larger than %d bytes", key, path, maxPEMFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("transport: %s: %w", key, err)
	}
	return data, nil
}

// CertName is the common name of the node's own certificate ("" if it
// cannot be read): the node name it was issued for.
func CertName(m *MutualTLS) string {
	if m == nil || len(m.Server.Certificates) == 0 || len(m.Server.Certificates[0].Certificate) == 0 {
		return ""
	}
	leaf, err := x509.ParseCertificate(m.Server.Certificates[0].Certificate[0])
	if err != nil {
		return ""
	}
	return leaf.Subject.CommonName
}
