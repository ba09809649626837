package reconcile

import (
	"fmt"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// ValidateConfig checks a typed configuration the way ParseConfig checks a
// file, for a configuration that arrives typed (a client's request): the
// leader never trusts that the sender parsed it. It returns the first
// problem, naming the group.
func ValidateConfig(cfg *wal.Config) error {
	switch {
	case cfg.Version != ConfigVersion:
		return fmt.Errorf("%w: unsupported version %q (supported: %s)", ErrInvalidConfig, cfg.Version, ConfigVersion)
	case cfg.Provider != ProviderAWS:
		return fmt.Errorf("%w: unknown provider %q (supported: %s)", ErrInvalidConfig, cfg.Provider, ProviderAWS)
	case cfg.Region == "":
		return fmt.Errorf("%w: no region", ErrInvalidConfig)
	case len(cfg.Groups) > MaxGroups:
		return fmt.Errorf("%w: %d groups (limit %d)", ErrInvalidConfig, len(cfg.Groups), MaxGroups)
	case cfg.Policy.MaxDeletions < 0 || cfg.Policy.MaxDeletions > MaxDeletionsLimit:
		return fmt.Errorf("%w: max_deletions_per_run %d out of range", ErrInvalidConfig, cfg.Policy.MaxDeletions)
	}
	seen := make(map[string]bool, len(cfg.Groups))
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		if err := validateGroup(g); err != nil {
			return fmt.Errorf("%w: group %q: %w", ErrInvalidConfig, g.Name, err)
		}
		if seen[g.Name] {
			return fmt.Errorf("%w: duplicate group name %q", ErrInvalidConfig, g.Name)
		}
		seen[g.Name] = true
	}
	return nil
}

// validateGroup checks one instance group's fields and tags.
func validateGroup(g *wal.Group) error {
	re := compilePatterns()
	switch {
	case !re.name.MatchString(g.Name):
		return fmt.Errorf("invalid name")
	case g.Type != ResourceTypeEC2:
		return fmt.Errorf("unknown type %q", g.Type)
	case g.Count < 0 || g.Count > MaxGroupCount:
		return fmt.Errorf("count %d out of range (0-%d)", g.Count, MaxGroupCount)
	case !re.size.MatchString(g.Size):
		return fmt.Errorf("invalid size %q", g.Size)
	case len(g.Tags) > MaxUserTags:
		return fmt.Errorf("%d tags (limit %d)", len(g.Tags), MaxUserTags)
	}
	for k, v := range g.Tags {
		lower := strings.ToLower(k)
		switch {
		case k == "" || strings.HasPrefix(lower, awsTagPrefix):
			return fmt.Errorf("tag key %q is not allowed", k)
		case strings.HasPrefix(lower, oviTagPrefix) && (k != wal.TagBlessed || v != "true"):
			return fmt.Errorf("tag %s=%s is reserved for Ovi (only %s=true may be set)", k, v, wal.TagBlessed)
		}
	}
	return nil
}
