package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// Limits and defaults of infrastructure.yaml v1.
const (
	ConfigVersion       = "v1"    // the only version understood
	MaxConfigBytes      = 1 << 20 // a larger file is rejected before parsing
	MaxGroups           = 1000    // resource groups per file
	MaxGroupCount       = 10000   // instances per group
	MaxTags             = 50      // tags per EC2 resource, Ovi's own included
	OviTagsPerResource  = 3       // ovi:managed, ovi:group, ovi:decision
	MaxUserTags         = MaxTags - OviTagsPerResource
	MaxTagKeyLen        = 128 // characters
	MaxTagValueLen      = 256 // characters
	MaxSecurityGroups   = 16  // per network interface
	MaxFlowDepth        = 32  // nested [ ] / { } collections
	MaxIndentColumns    = 256 // block nesting is bounded by indentation
	MaxConfigErrors     = 100 // errors shown for one file
	DefaultMaxDeletions = 5   // policy.max_deletions_per_run when absent
	MaxDeletionsLimit   = MaxGroupCount
	ResourceTypeEC2     = "ec2"
	ProviderAWS         = "aws"
)

// ErrInvalidConfig matches (errors.Is) every ConfigErrors value.
var ErrInvalidConfig = errors.New("reconcile: invalid configuration")

// ConfigError is one problem in a configuration file, at a position.
type ConfigError struct {
	File    string
	Line    int
	Column  int
	Message string
}

// Error returns "file:line:column: message".
func (e ConfigError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}

// ConfigErrors is every problem found in one file, in file order. Its
// Error joins them with newlines, so a CLI can print it as is.
type ConfigErrors []ConfigError

// Error implements error.
func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (es ConfigErrors) Is(target error) bool {
	return errors.Is(target, ErrInvalidConfig)
}

// LoadConfig reads and parses an infrastructure.yaml file. A file larger
// than MaxConfigBytes is rejected without being parsed.
func LoadConfig(path string) (wal.ConfigApplied, error) {
	f, err := os.Open(path)
	if err != nil {
		return wal.ConfigApplied{}, fmt.Errorf("reconcile: open config: %w", err)
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return wal.ConfigApplied{}, fmt.Errorf("reconcile: read config %s: %w", path, err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses infrastructure.yaml v1 from data; name is used in
// error positions and as the Source of the result. Every problem is
// reported at once as a ConfigErrors value.
func ParseConfig(name string, data []byte) (wal.ConfigApplied, error) {
	p := &configParser{file: name, re: compilePatterns(), kinds: DefaultKinds()}
	cfg := p.parse(data)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i], p.errs[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		return wal.ConfigApplied{}, capErrors(p.errs)
	}
	sum := sha256.Sum256(data)
	return wal.ConfigApplied{Source: name, Digest: hex.EncodeToString(sum[:]), Config: cfg}, nil
}

// capErrors keeps the first MaxConfigErrors errors and says how many more
// there were, at the position of the first one left out.
func capErrors(errs ConfigErrors) ConfigErrors {
	if len(errs) <= MaxConfigErrors {
		return errs
	}
	more := errs[MaxConfigErrors]
	more.Message = fmt.Sprintf("too many errors: %d more not shown", len(errs)-MaxConfigErrors)
	return append(errs[:MaxConfigErrors:MaxConfigErrors], more)
}
