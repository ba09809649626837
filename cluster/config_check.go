package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
)

// Validate checks a merged configuration (file + flags). Each problem is a
// one-line error naming the key.
func (c *Config) Validate() error {
	checks := []func() error{
		c.checkNames, c.checkAddrs, c.checkPorts, c.checkCounts, c.checkPlaceholders, c.checkSecurity, c.Retention.check,
		c.checkNotifications,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkNames() error {
	if c.DataDir == "" {
		return fmt.Errorf("%w: data_dir is required (set data_dir in the config file or --data-dir)", ErrConfig)
	}
	if c.NodeName == "" {
		return fmt.Errorf("%w: node_name is required", ErrConfig)
	}
	if len(c.NodeName) > 128 || strings.ContainsAny(c.NodeName, " \t\n/\x00") {
		return fmt.Errorf("%w: node_name %q: at most 128 characters, no spaces or slashes", ErrConfig, c.NodeName)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	return nil
}

func (c *Config) checkAddrs() error {
	if net.ParseIP(c.BindAddr) == nil {
		return fmt.Errorf("%w: bind_addr %q is not an IP address", ErrConfig, c.BindAddr)
	}
	adv := c.advertiseIP()
	if ip := net.ParseIP(adv); ip == nil || ip.IsUnspecified() {
		return fmt.Errorf("%w: advertise_addr %q must be a concrete IP address (set advertise_addr when bind_addr is 0.0.0.0)", ErrConfig, adv)
	}
	for i, a := range c.RetryJoin {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("%w: retry_join[%d] %q: want host:gossip_port", ErrConfig, i, a)
		}
	}
	return nil
}

func (c *Config) checkPorts() error {
	for name, p := range map[string]int{"ports.http": c.Ports.HTTP, "ports.raft": c.Ports.Raft, "ports.gossip": c.Ports.Gossip} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%w: %s %d is not a port (0-65535)", ErrConfig, name, p)
		}
	}
	return nil
}

func (c *Config) checkCounts() error {
	if c.BootstrapExpect < 0 {
		return fmt.Errorf("%w: bootstrap_expect %d must not be negative", ErrConfig, c.BootstrapExpect)
	}
	if c.Interval <= 0 {
		return fmt.Errorf("%w: interval %s must be positive", ErrConfig, c.Interval)
	}
	if c.SnapshotThreshold == 0 || c.SnapshotInterval <= 0 {
		return fmt.Errorf("%w: snapshot_threshold and snapshot_interval must be positive", ErrConfig)
	}
	if c.StoreSyncInterval < 0 {
		return fmt.Errorf("%w: store_sync_interval %s must not be negative (0 fsyncs every commit)", ErrConfig, c.StoreSyncInterval)
	}
	if c.StoreCommitInterval < 0 {
		return fmt.Errorf("%w: store_commit_interval %s must not be negative (0 writes every apply at once)", ErrConfig, c.StoreCommitInterval)
	}
	if c.Raft.LogStore != "" {
		if _, err := ParseLogStoreKind(string(c.Raft.LogStore)); err != nil {
			return fmt.Errorf("%w: %w (--raft-log-store)", ErrConfig, err)
		}
	}
	if key, err := c.Raft.checkTimeouts(); err != nil {
		return fmt.Errorf("%w: %w (--raft-%s)", ErrConfig, err, strings.ReplaceAll(key, "_", "-"))
	}
	return nil
}

// gossipKey decodes gossip_key (base64 of 16, 24 or 32 bytes).
func (c *Config) gossipKey() ([]byte, error) {
	if c.GossipKey == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(c.GossipKey)
	if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
		return nil, fmt.Errorf("%w: gossip_key must be base64 of 16, 24 or 32 bytes (create one with 'ovi keygen')", ErrConfig)
	}
	return key, nil
}

// checkPlaceholders refuses secrets still holding a "<…>" placeholder (as
// deploy/config ships them), naming the command that creates each. The
// message never repeats the value.
func (c *Config) checkPlaceholders() error {
	secrets := []struct{ key, value, command string }{
		{"gossip_key", c.GossipKey, "'ovi keygen'"},
		{"acl.read_token", c.ACL.ReadToken, "'openssl rand -hex 32'"},
		{"acl.write_token", c.ACL.WriteToken, "'openssl rand -hex 32' (a different one than acl.read_token)"},
	}
	for _, s := range secrets {
		if strings.HasPrefix(s.value, "<") && strings.HasSuffix(s.value, ">") {
			return fmt.Errorf("%w: %s is still a placeholder: set it to the output of %s, the same on every node",
				ErrConfig, s.key, s.command)
		}
	}
	return nil
}

// advertiseIP is advertise_addr, or bind_addr when it is not set.
func (c *Config) advertiseIP() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	return c.BindAddr
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// parseLevel turns log_level into a slog level.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%w: log_level %q (want debug, info, warn or error)", ErrConfig, s)
	}
	return l, nil
}

// ParseLevel is parseLevel for the command line.
func ParseLevel(s string) (slog.Level, error) { return parseLevel(s) }

func readFull(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return n, nil
	}
	return n, err
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// listen opens a TCP listener on addr.
func listen(addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", addr)
}
