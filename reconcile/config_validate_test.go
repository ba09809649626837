package reconcile

import (
	"errors"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// TestLeaderValidatesTypedConfig: a configuration that arrives typed (not
// parsed by this node) is checked before it is recorded or acted on.
func TestLeaderValidatesTypedConfig(t *testing.T) {
	r := newRig(t, webYAML)
	if err := ValidateConfig(&r.cfg.Config); err != nil {
		t.Fatalf("a parsed configuration is invalid: %v", err)
	}
	bad := map[string]func(c *wal.Config){
		"negative count":   func(c *wal.Config) { c.Groups[0].Count = -1 },
		"duplicate names":  func(c *wal.Config) { c.Groups = append(c.Groups, c.Groups[0]) },
		"ovi tag":          func(c *wal.Config) { c.Groups[0].Tags = map[string]string{wal.TagManaged: "true"} },
		"unblessed value":  func(c *wal.Config) { c.Groups[0].Tags = map[string]string{wal.TagBlessed: "false"} },
		"unknown provider": func(c *wal.Config) { c.Provider = "gcp" },
		"bad size":         func(c *wal.Config) { c.Groups[0].Size = "huge" },
	}
	for name, edit := range bad {
		cfg := r.cfg
		cfg.Config.Groups = append([]wal.Group(nil), r.cfg.Config.Groups...)
		edit(&cfg.Config)
		_, err := r.engine().Run(t.Context(), Request{Config: &cfg})
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "refused the configuration") {
			t.Errorf("%s: Run = %v, want a refusal", name, err)
		}
	}
	if n := len(r.log.records); n != 0 {
		t.Fatalf("%d records written for refused configurations", n)
	}
}
