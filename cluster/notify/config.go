// Package notify delivers webhook notifications of what the reconciler
// recorded: drift detected and repaired, actions that failed, deletions
// refused, leadership changes and compactions. It runs on the leader only
// and reads the committed WAL: every event is a committed record, its id
// the record's revision. Each receiver's progress is itself recorded in
// the WAL (wal.KindDelivery), so a new leader resumes where the last one
// stopped. See docs/operations.md, "Notifications".
//
// The package depends on wal only; it declares what it needs from the
// agent (Log) and the agent satisfies it.
package notify

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults of a receiver.
const (
	DefaultTimeout        = 5 * time.Second
	DefaultQueueSize      = 1024
	DefaultAttempts       = 8
	DefaultInitialBackoff = time.Second
	DefaultMaxBackoff     = time.Minute
	maxNameLen            = 64
	maxSecretFile         = 4 << 10
	maxQueueSize          = 1 << 20
	maxAttempts           = 100
)

// ErrConfig is wrapped by every receiver configuration error.
var ErrConfig = errors.New("notify: bad receiver configuration")

// Receiver is one webhook of the agent configuration (the `notifications`
// list). Name identifies it in metrics, logs and the WAL's delivery
// records: keep it when changing the URL, or the receiver starts afresh.
type Receiver struct {
	Name       string        `yaml:"name"`
	URL        string        `yaml:"url"`
	Secret     string        `yaml:"secret"`      // HMAC-SHA256 key; or
	SecretFile string        `yaml:"secret_file"` // a file holding it (trailing newline ignored)
	Events     []EventType   `yaml:"events"`      // empty: every event type
	Timeout    time.Duration `yaml:"timeout"`     // per HTTP request
	QueueSize  int           `yaml:"queue_size"`  // events waiting; more are dropped (counted)
	Retry      Retry         `yaml:"retry"`
}

// Retry bounds the attempts for one event: exponential backoff from
// InitialBackoff doubling up to MaxBackoff, each delay jittered (equal
// jitter: half fixed, half random).
type Retry struct {
	Attempts       int           `yaml:"attempts"` // HTTP requests per event, the first included
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	MaxBackoff     time.Duration `yaml:"max_backoff"`
}

// FieldError is a receiver configuration error about one key of the i-th
// receiver; the agent turns Path into file:line:col for YAML.
type FieldError struct {
	Index int    // the receiver's index in the list
	Key   string // the YAML key ("url", "retry.attempts"); "" for the receiver itself
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("notifications[%d]: %s", e.Index, e.Msg)
	}
	return fmt.Sprintf("notifications[%d].%s: %s", e.Index, e.Key, e.Msg)
}

func (e *FieldError) Unwrap() error { return ErrConfig }

// Path is the go-yaml path of the key ("$.notifications[0].url").
func (e *FieldError) Path() string {
	p := fmt.Sprintf("$.notifications[%d]", e.Index)
	if e.Key != "" {
		p += "." + e.Key
	}
	return p
}

// WithDefaults returns r with every unset tuning value defaulted.
func (r Receiver) WithDefaults() Receiver {
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	if r.QueueSize == 0 {
		r.QueueSize = DefaultQueueSize
	}
	if r.Retry.Attempts == 0 {
		r.Retry.Attempts = DefaultAttempts
	}
	if r.Retry.InitialBackoff == 0 {
		r.Retry.InitialBackoff = DefaultInitialBackoff
	}
	if r.Retry.MaxBackoff == 0 {
		r.Retry.MaxBackoff = max(DefaultMaxBackoff, r.Retry.InitialBackoff)
	}
	return r
}

// Validate checks the receivers: names unique and well formed, an http(s)
// URL, exactly one of secret and secret_file (the file readable), known
// event types, positive bounds. The first problem is a *FieldError.
func Validate(rs []Receiver) error {
	seen := map[string]int{}
	for i := range rs {
		if j, dup := seen[rs[i].Name]; dup {
			return &FieldError{Index: i, Key: "name", Msg: fmt.Sprintf("%q is already the name of notifications[%d]", rs[i].Name, j)}
		}
		seen[rs[i].Name] = i
		if err := rs[i].validate(i); err != nil {
			return err
		}
	}
	return nil
}

func (r *Receiver) validate(i int) error {
	checks := []func() (string, string){r.checkName, r.checkURL, r.checkSecret, r.checkEvents, r.checkBounds}
	for _, check := range checks {
		if key, msg := check(); msg != "" {
			return &FieldError{Index: i, Key: key, Msg: msg}
		}
	}
	return nil
}

func (r *Receiver) checkName() (string, string) {
	switch {
	case r.Name == "":
		return "", "name is required (it keys the receiver's metrics and delivery progress)"
	case len(r.Name) > maxNameLen:
		return "name", fmt.Sprintf("%q is longer than %d characters", r.Name, maxNameLen)
	case strings.IndexFunc(r.Name, badNameRune) >= 0:
		return "name", fmt.Sprintf("%q: use letters, digits, '.', '_' and '-' only", r.Name)
	}
	return "", ""
}

func badNameRune(c rune) bool {
	ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	return !ok
}

func (r *Receiver) checkURL() (string, string) {
	if r.URL == "" {
		return "", "url is required"
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "url", fmt.Sprintf("%q is not an http:// or https:// URL", r.URL)
	}
	if u.User != nil {
		return "url", "credentials in the URL would be logged; use secret or secret_file"
	}
	return "", ""
}

func (r *Receiver) checkSecret() (string, string) {
	switch {
	case r.Secret != "" && r.SecretFile != "":
		return "secret_file", "set secret or secret_file, not both"
	case r.Secret == "" && r.SecretFile == "":
		return "", "secret or secret_file is required (every delivery is signed)"
	case r.SecretFile != "":
		if _, err := r.Key(); err != nil {
			return "secret_file", err.Error()
		}
	}
	return "", ""
}

func (r *Receiver) checkEvents() (string, string) {
	for j, e := range r.Events {
		if !e.Valid() {
			return fmt.Sprintf("events[%d]", j), fmt.Sprintf("unknown event type %q (want one of %s)", string(e), eventTypeList())
		}
	}
	return "", ""
}

func (r *Receiver) checkBounds() (string, string) {
	switch {
	case r.Timeout < 0:
		return "timeout", "must be positive"
	case r.QueueSize < 0 || r.QueueSize > maxQueueSize:
		return "queue_size", fmt.Sprintf("%d: want 1 to %d", r.QueueSize, maxQueueSize)
	case r.Retry.Attempts < 0 || r.Retry.Attempts > maxAttempts:
		return "retry.attempts", fmt.Sprintf("%d: want 1 to %d", r.Retry.Attempts, maxAttempts)
	case r.Retry.InitialBackoff < 0:
		return "retry.initial_backoff", "must be positive"
	case r.Retry.MaxBackoff < 0 || r.Retry.MaxBackoff != 0 && r.Retry.MaxBackoff < r.Retry.InitialBackoff:
		return "retry.max_backoff", "must be at least retry.initial_backoff"
	}
	return "", ""
}

// Key returns the signing key: Secret, or SecretFile's content without
// its trailing newline.
func (r *Receiver) Key() ([]byte, error) {
	if r.SecretFile == "" {
		return []byte(r.Secret), nil
	}
	f, err := os.Open(r.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	defer func() { _ = f.Close() }()
	buf := make([]byte, maxSecretFile+1)
	n, _ := readAll(f, buf)
	switch key := strings.TrimRight(string(buf[:n]), "\r\n"); {
	case n > maxSecretFile:
		return nil, fmt.Errorf("%s: larger than %d bytes", r.SecretFile, maxSecretFile)
	case key == "":
		return nil, fmt.Errorf("%s is empty", r.SecretFile)
	default:
		return []byte(key), nil
	}
}

// readAll reads into buf until it is full or the reader ends.
func readAll(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
