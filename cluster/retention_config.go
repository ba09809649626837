package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// DefaultRetentionInterval is how often the leader applies a retention
// policy when retention.interval is not set.
const DefaultRetentionInterval = time.Hour

// minRetentionInterval bounds retention.interval from below: each run
// scans the key history, so running it more often than this buys nothing.
const minRetentionInterval = time.Second

// DefaultReadGrace is how long a read in flight holds back compaction of
// the revision it reads when retention.read_grace is not set.
const DefaultReadGrace = 10 * time.Minute

// RetentionConfig is the `retention:` block of the agent configuration:
// how much key history (time-travel reads, `state --at`, `state diff`) and
// how much of the audit log (`wal replay`, `why`, `wal analyze`) the
// cluster keeps. Both are off by default: nothing is ever dropped unless
// the operator says how much to keep, because history that is gone cannot
// be brought back and the audit log is the record of what Ovi did. The
// leader applies the policy every Interval as a `compaction` WAL record,
// so every node drops the same history.
type RetentionConfig struct {
	History  Span `yaml:"history"`  // key history kept; 0 = all
	Audit    Span `yaml:"audit"`    // audit records kept; 0 = all (needs History, at least as long)
	Interval Span `yaml:"interval"` // how often the leader applies it; 0 = DefaultRetentionInterval
	// ReadGrace is how long a read in flight on any node holds back the
	// compaction of the revision it reads (0 = DefaultReadGrace); a read
	// running longer than that may fail with "compacted".
	ReadGrace Span `yaml:"read_grace"`
}

// Enabled reports whether the leader applies a policy.
func (r RetentionConfig) Enabled() bool { return r.History > 0 || r.Audit > 0 }

// every is the interval in force.
func (r RetentionConfig) every() time.Duration {
	if r.Interval > 0 {
		return time.Duration(r.Interval)
	}
	return DefaultRetentionInterval
}

// grace is the read grace in force.
func (r RetentionConfig) grace() time.Duration {
	if r.ReadGrace > 0 {
		return time.Duration(r.ReadGrace)
	}
	return DefaultReadGrace
}

// Policy is how compaction records written by this policy name it.
func (r RetentionConfig) Policy() string {
	s := "retention history=" + r.History.String()
	if r.Audit > 0 {
		s += " audit=" + r.Audit.String()
	}
	return s
}

// String is the whole setting as a log line shows it ("off" when the
// leader applies nothing).
func (r RetentionConfig) String() string {
	if !r.Enabled() {
		return "off"
	}
	return fmt.Sprintf("%s interval=%s read_grace=%s", r.Policy(), Span(r.every()), Span(r.grace()))
}

// check validates the block (Config.Validate).
func (r RetentionConfig) check() error {
	if _, err := r.problem(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// problem is what is wrong with the block, and the key (under
// retention) it is about.
func (r RetentionConfig) problem() (string, error) {
	switch {
	case r.History < 0 || r.Audit < 0 || r.Interval < 0 || r.ReadGrace < 0:
		return "", errors.New("retention: durations must be positive")
	case r.Audit > 0 && r.History == 0:
		return "audit", fmt.Errorf("retention.audit (%s) needs retention.history: times map to revisions through the audit log, so the audit log is kept at least as long as the key history", r.Audit)
	case r.Audit > 0 && r.Audit < r.History:
		return "audit", fmt.Errorf("retention.audit (%s) is shorter than retention.history (%s): times map to revisions through the audit log, so keep at least as much audit log as history", r.Audit, r.History)
	case r.Interval > 0 && time.Duration(r.Interval) < minRetentionInterval:
		return "interval", fmt.Errorf("retention.interval (%s) is below %s", r.Interval, minRetentionInterval)
	}
	return "", nil
}

// checkAt validates the block as read from a file, locating the key at
// fault as "name:line:col".
func (r RetentionConfig) checkAt(name string, data []byte) error {
	key, err := r.problem()
	if err != nil {
		path := "$.retention"
		if key != "" {
			path += "." + key
		}
		return fmt.Errorf("%w: %s: %w", ErrConfig, yamlAt(name, data, path), err)
	}
	return nil
}

// Span is a duration written with the units an operator uses for
// retention: s, m, h, d (24 h) and w (7 d), combined largest first
// ("30d", "1d12h", "90m"). It is a YAML scalar in the agent configuration.
type Span time.Duration

// errSpan is wrapped by every unparsable span.
var errSpan = errors.New("bad duration")

// spanUnit is one unit of a span.
type spanUnit struct {
	unit byte
	d    time.Duration
}

// spanUnits are the units in the order a span lists them.
func spanUnits() []spanUnit {
	return []spanUnit{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}
}

// ParseSpan reads "30d", "12h", "1w", "1d12h": positive whole numbers of
// w, d, h, m and s, each unit at most once, largest first.
func ParseSpan(s string) (time.Duration, error) {
	units := spanUnits()
	rest, total, next := s, time.Duration(0), 0
	if s == "" {
		return 0, fmt.Errorf("%w: empty (write e.g. 30d, 12h or 90m)", errSpan)
	}
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 {
			return 0, fmt.Errorf("%w %q: want a number and a unit (s, m, h, d or w), e.g. 30d", errSpan, s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 32)
		u := unitIndex(units, rest[i], next)
		if err != nil || u < 0 {
			return 0, fmt.Errorf("%w %q: %q is not one of s, m, h, d, w (largest first, each once)", errSpan, s, rest[i:i+1])
		}
		total += time.Duration(n) * units[u].d
		rest, next = rest[i+1:], u+1
	}
	if total <= 0 {
		return 0, fmt.Errorf("%w %q: must be longer than zero", errSpan, s)
	}
	return total, nil
}

// unitIndex is the index of unit c in units at or after from, or -1.
func unitIndex(units []spanUnit, c byte, from int) int {
	for i := from; i < len(units); i++ {
		if units[i].unit == c {
			return i
		}
	}
	return -1
}

// String writes the span the way ParseSpan reads it, in days and smaller
// units ("30d", "365d", "1d12h"; "0" for none); a remainder below a second
// is dropped.
func (s Span) String() string {
	d := time.Duration(s)
	if d < time.Second {
		return "0"
	}
	var b strings.Builder
	for _, u := range spanUnits()[1:] { // days, not weeks: "30d" reads better than "4w2d"
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%c", n, u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}

// UnmarshalYAML reads the YAML scalar; an error carries the node's
// position, so the agent reports it as FILE:LINE:COL.
func (s *Span) UnmarshalYAML(n ast.Node) error {
	if n.Type() != ast.StringType && n.Type() != ast.IntegerType {
		return &yaml.SyntaxError{Message: "want a duration such as 30d, 12h or 90m", Token: n.GetToken()}
	}
	d, err := ParseSpan(n.GetToken().Value)
	if err != nil {
		return &yaml.SyntaxError{Message: err.Error(), Token: n.GetToken()}
	}
	*s = Span(d)
	return nil
}

// MarshalText writes the scalar back.
func (s Span) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
