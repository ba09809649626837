package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"time"
)

// Validity of generated material: the CA for five years, node and client
// certificates for one (Consul's defaults). NotBefore is backdated by
// clockSkewAllowance so that a peer whose clock is a little behind accepts
// a fresh certificate.
const (
	DefaultCAValidity   = 5 * 365 * 24 * time.Hour
	DefaultCertValidity = 365 * 24 * time.Hour
	clockSkewAllowance  = 5 * time.Minute
	maxCommonName       = 64
)

// ErrBadCertRequest is wrapped by every invalid CARequest or CertRequest.
var ErrBadCertRequest = errors.New("transport: bad certificate request")

// dnsName matches a DNS SAN: labels of letters, digits and hyphens, an
// optional leading "*." wildcard.
var dnsName = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// PEMPair is a certificate and its private key, PEM encoded (the key as
// PKCS #8 "PRIVATE KEY").
type PEMPair struct {
	Cert []byte
	Key  []byte
}

// CARequest describes a cluster CA.
type CARequest struct {
	Name     string        // subject common name ("" = "Ovi cluster CA")
	Validity time.Duration // 0 = DefaultCAValidity
	Now      time.Time     // zero = time.Now()
}

// CertRequest describes a certificate signed by the cluster CA. A node
// certificate (Client false) is valid for TLS servers and clients and must
// name, as SANs, every IP address and DNS name peers and operators use to
// reach the node (its advertise address). A client certificate (Client
// true) is for operators' CLIs only: it cannot serve, and the agent does
// not accept it on node-to-node endpoints.
type CertRequest struct {
	Name     string   // subject common name (the node name)
	IPs      []net.IP // IP SANs
	DNSNames []string // DNS SANs
	Client   bool
	Validity time.Duration // 0 = DefaultCertValidity
	Now      time.Time     // zero = time.Now()
}

// NewCA creates a self-signed ECDSA P-256 CA certificate and key.
func NewCA(req CARequest) (PEMPair, error) {
	if req.Name == "" {
		req.Name = "Ovi cluster CA"
	}
	if err := checkCommonName(req.Name); err != nil {
		return PEMPair{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return PEMPair{}, fmt.Errorf("transport: generate CA key: %w", err)
	}
	tmpl, err := certTemplate(req.Name, req.Now, orDefault(req.Validity, DefaultCAValidity), &key.PublicKey)
	if err != nil {
		return PEMPair{}, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.MaxPathLenZero = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	return sign(tmpl, tmpl, &key.PublicKey, key, key)
}

// NewCert creates an ECDSA P-256 certificate signed by ca.
func NewCert(ca PEMPair, req CertRequest) (PEMPair, error) {
	if err := checkCertRequest(&req); err != nil {
		return PEMPair{}, err
	}
	caCert, caKey, err := parseCA(ca)
	if err != nil {
		return PEMPair{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return PEMPair{}, fmt.Errorf("transport: generate key: %w", err)
	}
	tmpl, err := certTemplate(req.Name, req.Now, orDefault(req.Validity, DefaultCertValidity), &key.PublicKey)
	if err != nil {
		return PEMPair{}, err
	}
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if !req.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		tmpl.IPAddresses, tmpl.DNSNames = req.IPs, req.DNSNames
	}
	if notAfter := caCert.NotAfter; tmpl.NotAfter.After(notAfter) {
		tmpl.NotAfter = notAfter // never outlive the CA
	}
	return sign(tmpl, caCert, &key.PublicKey, key, caKey)
}

// IsNodeCertificate reports whether c is an Ovi node certificate (usable
// by servers), as opposed to an operator's client-only certificate.
func IsNodeCertificate(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth {
			return true
		}
	}
	return false
}

func checkCertRequest(req *CertRequest) error {
	if err := checkCommonName(req.Name); err != nil {
		return err
	}
	if !req.Client && len(req.IPs) == 0 && len(req.DNSNames) == 0 {
		return fmt.Errorf("%w: a node certificate needs at least one IP address or DNS name (the node's advertise address)", ErrBadCertRequest)
	}
	for _, ip := range req.IPs {
		if ip == nil || ip.IsUnspecified() {
			return fmt.Errorf("%w: IP address %v cannot be a certificate name", ErrBadCertRequest, ip)
		}
	}
	for _, d := range req.DNSNames {
		if len(d) > 253 || !dnsName.MatchString(d) {
			return fmt.Errorf("%w: %q is not a DNS name", ErrBadCertRequest, d)
		}
	}
	return nil
}

func checkCommonName(name string) error {
	if name == "" || len(name) > maxCommonName {
		return fmt.Errorf("%w: name must be 1 to %d characters", ErrBadCertRequest, maxCommonName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: name %q holds a control character", ErrBadCertRequest, name)
		}
	}
	return nil
}

// parseCA decodes the CA pair and checks that it is a CA whose key matches.
func parseCA(ca PEMPair) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.X509KeyPair(ca.Cert, ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: CA certificate and key: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, fmt.Errorf("transport: CA certificate: %w", err)
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !cert.IsCA || !ok {
		return nil, nil, fmt.Errorf("transport: the CA certificate is not an ECDSA certificate authority")
	}
	return cert, key, nil
}

// certTemplate fills what every generated certificate shares.
func certTemplate(name string, now time.Time, validity time.Duration, pub *ecdsa.PublicKey) (*x509.Certificate, error) {
	if now.IsZero() {
		now = time.Now()
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("transport: certificate serial: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("transport: encode public key: %w", err)
	}
	skid := sha256.Sum256(der)
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Ovi"}},
		NotBefore:    now.Add(-clockSkewAllowance).UTC(),
		NotAfter:     now.Add(validity).UTC(),
		SubjectKeyId: skid[:20],
	}, nil
}

// sign creates the certificate and encodes it and its key as PEM.
func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, key, signer *ecdsa.PrivateKey) (PEMPair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return PEMPair{}, fmt.Errorf("transport: sign certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return PEMPair{}, fmt.Errorf("transport: encode private key: %w", err)
	}
	return PEMPair{
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
