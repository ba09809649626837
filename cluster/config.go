package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/cluster/notify"
)

// Default ports and tuning. Every agent listens on three ports of
// bind_addr: HTTP API 7400, Raft 7401, gossip 7402 (TCP and UDP).
const (
	DefaultHTTPPort   = 7400
	DefaultRaftPort   = 7401
	DefaultGossipPort = 7402
	DefaultBindAddr   = "127.0.0.1"
	DefaultInterval   = 30 * time.Second
	// DefaultSnapshotThreshold: Raft snapshots the FSM after this many new
	// entries. A snapshot copies the whole bbolt file (all retained
	// history), so it is not cheap; 8192 entries of small WAL batches keeps
	// snapshots to a few per day on a busy cluster.
	DefaultSnapshotThreshold = 8192
	// DefaultTrailingLogs: entries kept in the log after a snapshot, so a
	// follower that was briefly away (up to ~10k entries behind) catches
	// up by log replay instead of by a full snapshot transfer.
	DefaultTrailingLogs = 10240
	// DefaultSnapshotInterval: how often Raft checks the threshold.
	DefaultSnapshotInterval = 120 * time.Second
	// DefaultStoreSyncInterval: how often the store (state.db), which
	// commits without fsync, is made durable (as etcd's backend batch
	// interval). The Raft log holds every acknowledged write; this bounds
	// how long the store stays dirty after the last write (a power loss
	// while dirty rebuilds it from a snapshot and the log) and how much an
	// fsync has to flush. 0 fsyncs every commit.
	DefaultStoreSyncInterval = 100 * time.Millisecond
	// DefaultStoreCommitInterval: how long the store buffers applied
	// entries before it writes them in one bbolt transaction (as etcd's
	// backend commits its batch). A bbolt commit costs the pages it
	// dirties (each bucket's root-to-leaf path), not its entries, so one
	// transaction per 25 ms instead of one per Raft batch takes most of
	// the store's work off every apply. Reads, snapshots and syncs write
	// the buffer first; a killed process loses only what its log replays.
	// 0 writes every apply at once.
	DefaultStoreCommitInterval = 25 * time.Millisecond
	// maxConfigFile bounds the size of a configuration file (a real one
	// is a few hundred bytes).
	maxConfigFile = 64 << 10
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("cluster: bad configuration")

// Ports are the agent's listening ports. 0 picks a free port (tests).
type Ports struct {
	HTTP   int `yaml:"http"`
	Raft   int `yaml:"raft"`
	Gossip int `yaml:"gossip"`
}

// TLSConfig names the PEM files for mutual TLS on Raft and the HTTP API:
// the cluster CA, this node's certificate (its SANs name the advertise
// address) and its key. Set all three or none; see security.go.
type TLSConfig struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// ACLConfig holds the API tokens: read (state, WAL, members, status,
// snapshot save, metrics) and write (reconcile, notes, join/leave,
// compaction, peer removal, snapshot restore; it also reads). Empty tokens
// leave the API open; a read token needs a write token beside it.
type ACLConfig struct {
	ReadToken  string `yaml:"read_token"`
	WriteToken string `yaml:"write_token"`
}

// RaftConfig tunes the Raft engine.
type RaftConfig struct {
	// LogStore is the Raft log store: wal or boltdb (see LogStoreKind).
	// Unset: the store the data dir holds, DefaultLogStore for a new one. A data
	// dir never changes store by itself (docs/operations.md).
	LogStore LogStoreKind `yaml:"log_store"`
	// HeartbeatTimeout is how long a follower hears nothing from the
	// leader before it calls an election; ElectionTimeout how long a
	// candidate waits for votes before it tries again; LeaderLeaseTimeout
	// how long a leader keeps leading without hearing from a quorum.
	// Unset: 400 ms, and the other two follow the heartbeat timeout
	// (raft_timeouts.go).
	HeartbeatTimeout   time.Duration `yaml:"heartbeat_timeout"`
	ElectionTimeout    time.Duration `yaml:"election_timeout"`
	LeaderLeaseTimeout time.Duration `yaml:"leader_lease_timeout"`
}

// Config configures an Agent. The YAML keys are the file format of
// `ovi agent --config FILE`; every key is also a flag (flags win).
type Config struct {
	NodeName          string        `yaml:"node_name"`
	DataDir           string        `yaml:"data_dir"`
	BindAddr          string        `yaml:"bind_addr"`
	AdvertiseAddr     string        `yaml:"advertise_addr"` // default: bind_addr
	Ports             Ports         `yaml:"ports"`
	BootstrapExpect   int           `yaml:"bootstrap_expect"` // 0 = never bootstrap, wait to be added
	RetryJoin         []string      `yaml:"retry_join"`       // gossip addresses host:port
	Infrastructure    string        `yaml:"infrastructure"`   // path of the desired configuration file
	Interval          time.Duration `yaml:"interval"`         // reconcile interval
	SnapshotThreshold uint64        `yaml:"snapshot_threshold"`
	SnapshotInterval  time.Duration `yaml:"snapshot_interval"`
	TrailingLogs      uint64        `yaml:"trailing_logs"`
	StoreSyncInterval time.Duration `yaml:"store_sync_interval"`
	// StoreCommitInterval: see DefaultStoreCommitInterval.
	StoreCommitInterval time.Duration `yaml:"store_commit_interval"`
	Raft                RaftConfig    `yaml:"raft"`
	LogLevel            string        `yaml:"log_level"` // debug, info, warn, error
	TLS                 TLSConfig     `yaml:"tls"`
	GossipKey           string        `yaml:"gossip_key"` // base64 AES key (16, 24 or 32 bytes)
	ACL                 ACLConfig     `yaml:"acl"`
	// InsecurePlaintext allows running without TLS on a non-loopback
	// bind_addr (logged as a WARN at start and on every reload).
	InsecurePlaintext bool `yaml:"insecure_plaintext"`
	// Retention is how much history the leader keeps (reloadable;
	// retention_config.go).
	Retention RetentionConfig `yaml:"retention"`
	// Notifications are the webhook receivers the leader sends events to
	// (reloadable; docs/operations.md, "Notifications").
	Notifications []notify.Receiver `yaml:"notifications"`

	// Runtime wiring (not part of the file). The reconciler is not here:
	// it is handed to Agent.Start.
	Logger      *slog.Logger         `yaml:"-"`
	LogLevelVar *slog.LevelVar       `yaml:"-"` // set by SIGHUP reload when given
	Version     string               `yaml:"-"`
	Registry    *prometheus.Registry `yaml:"-"` // served on /metrics with the agent's own; nil: a new one
	// ClockOffset shifts the wall clock this agent stamps records with and
	// judges forwarded records' times by. TEST-ONLY (clock skew fault
	// tests; cmd/ovi sets it from OVI_TEST_CLOCK_OFFSET): always 0 in use.
	ClockOffset time.Duration `yaml:"-"`
	// BootID names this boot of the machine for the store's power-loss
	// check (empty: the kernel's boot id). TEST-ONLY (power-loss fault
	// tests; cmd/ovi sets it from OVI_TEST_BOOT_ID): empty in use.
	BootID string `yaml:"-"`
}

// DefaultConfig returns the defaults every file and flag set starts from.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		NodeName:            host,
		BindAddr:            DefaultBindAddr,
		Ports:               Ports{HTTP: DefaultHTTPPort, Raft: DefaultRaftPort, Gossip: DefaultGossipPort},
		Interval:            DefaultInterval,
		SnapshotThreshold:   DefaultSnapshotThreshold,
		SnapshotInterval:    DefaultSnapshotInterval,
		TrailingLogs:        DefaultTrailingLogs,
		StoreSyncInterval:   DefaultStoreSyncInterval,
		StoreCommitInterval: DefaultStoreCommitInterval,
		LogLevel:            "info",
	}
}

// LoadConfig reads a YAML configuration file over the defaults. Unknown
// keys, wrong types and syntax errors are one-line errors of the form
// "FILE:LINE:COL: message".
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer func() { _ = f.Close() }()
	data := make([]byte, maxConfigFile+1)
	n, err := readFull(f, data)
	if err != nil {
		return Config{}, fmt.Errorf("%w: read %s: %w", ErrConfig, path, err)
	}
	if n > maxConfigFile {
		return Config{}, fmt.Errorf("%w: %s: larger than %d bytes", ErrConfig, path, maxConfigFile)
	}
	return ParseConfig(path, data[:n])
}

// ParseConfig decodes YAML data (named name in errors) over the defaults.
func ParseConfig(name string, data []byte) (Config, error) {
	if len(data) > maxConfigFile {
		return Config{}, fmt.Errorf("%w: %s: larger than %d bytes", ErrConfig, name, maxConfigFile)
	}
	if err := checkConfigYAML(name, data); err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig()
	err := yaml.UnmarshalWithOptions(data, &cfg, yaml.Strict(), yaml.DisallowUnknownField())
	if err != nil {
		return Config{}, fmt.Errorf("%w: %s", ErrConfig, yamlErrorLine(name, data, err))
	}
	if err := notify.Validate(cfg.Notifications); err != nil {
		return Config{}, notificationsError(name, data, err)
	}
	if _, err := ParseLogStoreKind(string(cfg.Raft.LogStore)); err != nil {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrConfig, yamlAt(name, data, "$.raft.log_store"), err)
	}
	if err := cfg.Retention.checkAt(name, data); err != nil {
		return Config{}, err
	}
	if key, err := cfg.Raft.checkTimeouts(); err != nil {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrConfig, yamlAt(name, data, "$.raft."+key), err)
	}
	return cfg, nil
}

// yamlAt is "name:line:col" of the value at path in data ("name" alone if
// it cannot be found).
func yamlAt(name string, data []byte, path string) string {
	if line, col, ok := yamlPosition(data, path); ok {
		return fmt.Sprintf("%s:%d:%d", name, line, col)
	}
	return name
}

// yamlErrorLine turns a go-yaml error into "name:line:col: message".
func yamlErrorLine(name string, data []byte, err error) string {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
		pos := ye.GetToken().Position
		return fmt.Sprintf("%s:%d:%d: %s", name, pos.Line, pos.Column, oneLine(ye.GetMessage()))
	}
	return yamlValueError(name, data, err)
}

// yamlValueError places an error go-yaml returned without a position (a
// value its decoder refused, such as `time: invalid duration "fast"`) at
// the scalar the message quotes.
func yamlValueError(name string, data []byte, err error) string {
	msg := oneLine(err.Error())
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		if quoted, qerr := strconv.QuotedPrefix(msg[i:]); qerr == nil {
			v, _ := strconv.Unquote(quoted)
			if tokens, terr := tokenize(data); terr == nil {
				for _, tk := range tokens {
					if tk != nil && tk.Position != nil && tk.Value == v {
						return fmt.Sprintf("%s:%d:%d: %s", name, tk.Position.Line, tk.Position.Column, msg)
					}
				}
			}
		}
	}
	return fmt.Sprintf("%s: %s", name, msg)
}
