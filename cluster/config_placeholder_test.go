package cluster

import (
	"errors"
	"strings"
	"testing"
)

// The node configs of deploy/config ship "<…>" placeholders for the
// secrets: an agent started from them must refuse with one line naming the
// key and the command that creates it, never run with a known secret.
func TestValidateRefusesPlaceholderSecrets(t *testing.T) {
	base := DefaultConfig()
	base.DataDir, base.NodeName = "/tmp/x", "ovi-1"
	base.GossipKey = "AO7cdOCbg3MC76WaBKhvzNYsVtSigQWg69xp50V6aSk="
	base.ACL = ACLConfig{ReadToken: "r-token", WriteToken: "w-token"}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key, command string
		mutate       func(c *Config)
	}{
		{"gossip_key", "ovi keygen", func(c *Config) { c.GossipKey = "<run: ovi keygen>" }},
		{"acl.read_token", "openssl rand -hex 32", func(c *Config) { c.ACL.ReadToken = "<run: openssl rand -hex 32>" }},
		{"acl.write_token", "openssl rand -hex 32", func(c *Config) {
			c.ACL = ACLConfig{ReadToken: "r-token", WriteToken: "<run: openssl rand -hex 32>"}
		}},
		// Both tokens the same placeholder: the placeholder, not "must differ".
		{"acl.read_token", "openssl rand -hex 32", func(c *Config) {
			c.ACL = ACLConfig{ReadToken: "<token>", WriteToken: "<token>"}
		}},
	}
	for _, tc := range cases {
		c := base
		tc.mutate(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: placeholder accepted", tc.key)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, ErrConfig) || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.key+" is still a placeholder") ||
			!strings.Contains(msg, tc.command) || strings.Contains(msg, "<") {
			t.Errorf("%s: err = %q", tc.key, msg)
		}
	}
}

func TestValidateBadGossipKeyNamesKeygen(t *testing.T) {
	c := DefaultConfig()
	c.DataDir, c.NodeName, c.GossipKey = "/tmp/x", "ovi-1", "not base64!"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "gossip_key") || !strings.Contains(err.Error(), "ovi keygen") {
		t.Fatalf("err = %v", err)
	}
}
