package benchpeers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// RawNodeConfig configures one raw hashicorp/raft node: Ovi's engine
// settings (cluster.EngineConfig, its log cache and TCP stream layer) and
// log store, a no-op FSM, and a small HTTP control API.
type RawNodeConfig struct {
	ID       string
	Dir      string
	RaftAddr string // host:port of the Raft transport
	HTTPAddr string // host:port of the control API
	Peers    []raft.Server
	Store    cluster.LogStoreKind
	ValSize  int // the note text of each entry
}

// ParsePeers reads "id=host:port,id=host:port".
func ParsePeers(s string) ([]raft.Server, error) {
	var out []raft.Server
	for _, p := range strings.Split(s, ",") {
		id, addr, ok := strings.Cut(p, "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("benchpeers: peer %q: want id=host:port", p)
		}
		out = append(out, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(id), Address: raft.ServerAddress(addr)})
	}
	return out, nil
}

// NoteEntry is the Raft entry Ovi proposes for one note of size bytes:
// the same bytes the raw engine is loaded with.
func NoteEntry(size int) ([]byte, error) {
	rec := wal.Record{Kind: wal.KindNote, ResourceID: "bench", Time: time.Now().UTC(), Node: "raw-1", Term: 2,
		Note: &wal.Note{Text: strings.Repeat("n", size)}}
	data, err := wal.EncodeBatch(&wal.Batch{Records: []wal.Record{rec}})
	if err != nil {
		return nil, fmt.Errorf("benchpeers: encode note: %w", err)
	}
	return data, nil
}

// RawNode is a started raw Raft node.
type RawNode struct {
	Raft  *raft.Raft
	store cluster.LogStore
	entry []byte
}

// StartRawNode opens the node's log store and starts Raft, bootstrapping
// the configuration of cfg.Peers on a new data dir (every node does: the
// same configuration everywhere is safe).
func StartRawNode(cfg RawNodeConfig, ln net.Listener) (*RawNode, error) {
	entry, err := NoteEntry(cfg.ValSize)
	if err != nil {
		return nil, err
	}
	store, err := cluster.OpenLogStore(cfg.Store, cfg.Dir, hclog.NewNullLogger())
	if err != nil {
		return nil, err
	}
	r, err := startRaft(cfg, ln, store)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	return &RawNode{Raft: r, store: store, entry: entry}, nil
}

func startRaft(cfg RawNodeConfig, ln net.Listener, store cluster.LogStore) (*raft.Raft, error) {
	snaps, err := raft.NewFileSnapshotStore(cfg.Dir, 2, io.Discard)
	if err != nil {
		return nil, fmt.Errorf("benchpeers: snapshots: %w", err)
	}
	stream, err := transport.NewTCPStreamLayer(ln, nil)
	if err != nil {
		return nil, fmt.Errorf("benchpeers: %w", err)
	}
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: stream, MaxPool: 3, Timeout: 10 * time.Second, Logger: hclog.NewNullLogger()})
	conf := cluster.EngineConfig()
	conf.LocalID = raft.ServerID(cfg.ID)
	conf.Logger = hclog.NewNullLogger()
	conf.SnapshotThreshold = cluster.DefaultSnapshotThreshold
	conf.TrailingLogs = cluster.DefaultTrailingLogs
	cache, err := cluster.NewLogCache(store)
	if err != nil {
		return nil, fmt.Errorf("benchpeers: %w", err)
	}
	has, err := raft.HasExistingState(cache, store, snaps)
	if err != nil {
		return nil, fmt.Errorf("benchpeers: %w", err)
	}
	r, err := raft.NewRaft(conf, noopFSM{}, cache, store, snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("benchpeers: start raft: %w", err)
	}
	if !has {
		if err := r.BootstrapCluster(raft.Configuration{Servers: cfg.Peers}).Error(); err != nil {
			return nil, fmt.Errorf("benchpeers: bootstrap: %w", err)
		}
	}
	return r, nil
}

// Apply commits one note entry (the leader only).
func (n *RawNode) Apply(timeout time.Duration) error {
	return n.Raft.Apply(n.entry, timeout).Error()
}

// Close shuts Raft down and closes the log store.
func (n *RawNode) Close() error {
	return errors.Join(n.Raft.Shutdown().Error(), n.store.Close())
}

// RawStatus is GET /status of a raw node.
type RawStatus struct {
	Leader  bool `json:"leader"`
	Servers int  `json:"servers"`
}

// Handler is the node's control API: GET /status, POST /write (one entry,
// 503 unless leader) and POST /load?clients=N&total=M (the load run inside
// this process, answered with its Sample as JSON).
func (n *RawNode) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		st := RawStatus{Leader: n.Raft.State() == raft.Leader}
		if f := n.Raft.GetConfiguration(); f.Error() == nil {
			st.Servers = len(f.Configuration().Servers)
		}
		writeJSON(w, st)
	})
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, _ *http.Request) {
		if err := n.Apply(5 * time.Second); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("POST /load", n.serveLoad)
	return mux
}

func (n *RawNode) serveLoad(w http.ResponseWriter, r *http.Request) {
	serveLoad(w, r, func(context.Context, int) error { return n.Apply(10 * time.Second) })
}

// serveLoad is POST /load?clients=N&total=M of a node's control API: the
// load of op run inside this process, answered with its Sample as JSON.
func serveLoad(w http.ResponseWriter, r *http.Request, op func(context.Context, int) error) {
	clients, err1 := strconv.Atoi(r.URL.Query().Get("clients"))
	total, err2 := strconv.Atoi(r.URL.Query().Get("total"))
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, "clients and total: "+err.Error(), http.StatusBadRequest)
		return
	}
	s, err := RunLoad(r.Context(), clients, total, op)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, s)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

type noopFSM struct{}

func (noopFSM) Apply(*raft.Log) any                 { return nil }
func (noopFSM) Snapshot() (raft.FSMSnapshot, error) { return noopSnap{}, nil }
func (noopFSM) Restore(rc io.ReadCloser) error      { return rc.Close() }

type noopSnap struct{}

func (noopSnap) Persist(s raft.SnapshotSink) error { return s.Close() }
func (noopSnap) Release()                          {}
