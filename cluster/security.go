package cluster

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"

	"github.com/yairfalse/ovi/transport"
)

// Security modes of an agent, decided once at start from the
// configuration (see checkSecurity):
//
//   - mutual TLS: tls.ca_file, tls.cert_file and tls.key_file are set. Raft
//     and the HTTP API speak TLS 1.2+ and require a certificate of the
//     cluster CA from every caller; node-to-node calls verify the peer's
//     certificate against the CA and its name against the peer's address.
//   - loopback plaintext: no TLS and bind_addr is a loopback address
//     (127.0.0.0/8, ::1): dev mode, tests, one-host experiments. Nothing
//     outside the host can reach the ports.
//   - insecure plaintext: no TLS on a reachable address, allowed only with
//     insecure_plaintext: true, and announced with a WARN at start and on
//     every reload.
//
// Any other combination refuses to start with a one-line error that says
// how to create the material.

// insecureWarning is the loud line logged while the opt-out is in force.
const insecureWarning = "SECURITY WARNING: insecure_plaintext is set and no TLS is configured: " +
	"Raft and the HTTP API are unencrypted and unauthenticated at the transport level; " +
	"anyone who can reach the ports can read the WAL and, without ACL tokens, change the cluster"

// tlsConfigured reports whether the three TLS files are set.
func (c *Config) tlsConfigured() bool {
	return c.TLS.CAFile != "" && c.TLS.CertFile != "" && c.TLS.KeyFile != ""
}

// loopbackOnly reports whether bind_addr is a loopback address.
func (c *Config) loopbackOnly() bool {
	ip := net.ParseIP(c.BindAddr)
	return ip != nil && ip.IsLoopback()
}

// insecure reports whether the agent runs plaintext on a reachable
// address or by explicit opt-out (the state that earns the warning).
func (c *Config) insecure() bool {
	return c.InsecurePlaintext && !c.tlsConfigured()
}

// checkSecurity validates gossip_key, tls, acl and the plaintext rule.
func (c *Config) checkSecurity() error {
	if _, err := c.gossipKey(); err != nil {
		return err
	}
	if err := c.checkTLSFiles(); err != nil {
		return err
	}
	if err := c.checkACL(); err != nil {
		return err
	}
	if c.loopbackOnly() || c.InsecurePlaintext {
		return nil
	}
	if !c.tlsConfigured() {
		return fmt.Errorf("%w: bind_addr %s is not a loopback address and tls is not configured: create a CA with 'ovi tls ca create' and this node's certificate with 'ovi tls cert create --name %s --ip %s', then set tls.ca_file, tls.cert_file and tls.key_file (or set insecure_plaintext: true to run without TLS)",
			ErrConfig, c.BindAddr, c.NodeName, c.advertiseIP())
	}
	if c.GossipKey == "" {
		return fmt.Errorf("%w: bind_addr %s is not a loopback address and gossip_key is not set: create one with 'ovi keygen' and set the same gossip_key on every node (or set insecure_plaintext: true)",
			ErrConfig, c.BindAddr)
	}
	return nil
}

// checkTLSFiles requires all three TLS files or none, and readable ones.
func (c *Config) checkTLSFiles() error {
	files := []struct{ key, path string }{
		{"tls.ca_file", c.TLS.CAFile}, {"tls.cert_file", c.TLS.CertFile}, {"tls.key_file", c.TLS.KeyFile},
	}
	set := 0
	for _, f := range files {
		if f.path == "" {
			continue
		}
		set++
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrConfig, f.key, err)
		}
	}
	if set != 0 && set != len(files) {
		return fmt.Errorf("%w: tls.ca_file, tls.cert_file and tls.key_file go together: set all three or none", ErrConfig)
	}
	return nil
}

// checkACL requires a write token whenever a read token is set (nodes
// forward writes with it), and two different tokens.
func (c *Config) checkACL() error {
	acl := c.ACL
	if acl.ReadToken != "" && acl.WriteToken == "" {
		return fmt.Errorf("%w: acl.read_token is set but acl.write_token is not: set both (nodes forward writes with the write token)", ErrConfig)
	}
	if acl.ReadToken != "" && acl.ReadToken == acl.WriteToken {
		return fmt.Errorf("%w: acl.read_token and acl.write_token must differ", ErrConfig)
	}
	return nil
}

// loadTLS reads the node's TLS material when TLS is configured (nil
// otherwise) and logs the security mode; the insecure opt-out is a WARN.
func (a *Agent) loadTLS() error {
	switch {
	case a.cfg.tlsConfigured():
		m, err := transport.LoadMutualTLS(transport.TLSFiles{CAFile: a.cfg.TLS.CAFile, CertFile: a.cfg.TLS.CertFile, KeyFile: a.cfg.TLS.KeyFile})
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if err := a.checkCertName(m); err != nil {
			return err
		}
		a.tls = m
		a.logger.Info("mutual TLS on raft and the HTTP API", "ca_file", a.cfg.TLS.CAFile, "cert_file", a.cfg.TLS.CertFile)
	case a.cfg.insecure():
		a.logger.Warn(insecureWarning, "bind_addr", a.cfg.BindAddr)
	default:
		a.logger.Info("plaintext raft and HTTP API on a loopback address only", "bind_addr", a.cfg.BindAddr)
	}
	if a.cfg.GossipKey == "" {
		a.logger.Info("gossip is not encrypted (no gossip_key)")
	}
	return nil
}

// tlsListener wraps the HTTP listener with the server TLS configuration.
func (a *Agent) tlsListener(ln net.Listener) net.Listener {
	if a.tls == nil {
		return ln
	}
	return tls.NewListener(ln, a.tls.Server)
}

// clientTLS is the configuration of node-to-node HTTP clients (nil
// without TLS).
func (a *Agent) clientTLS() *tls.Config {
	if a.tls == nil {
		return nil
	}
	return a.tls.Client
}

// checkCertName requires the node certificate to name this node: peers
// accept Raft RPCs and node-to-node calls only from the server whose name
// the certificate carries.
func (a *Agent) checkCertName(m *transport.MutualTLS) error {
	name := transport.CertName(m)
	if name == a.cfg.NodeName {
		return nil
	}
	return fmt.Errorf("%w: tls.cert_file %s is for %q but node_name is %q: peers accept a node only under its certificate's name; create this node's certificate with 'ovi tls cert create --name %s --ip %s'",
		ErrConfig, a.cfg.TLS.CertFile, name, a.cfg.NodeName, a.cfg.NodeName, a.cfg.advertiseIP())
}
