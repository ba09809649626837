package cluster

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

func logStoreAgent(t *testing.T, dataDir string, kind LogStoreKind) (*Agent, string) {
	t.Helper()
	dir := filepath.Join(dataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return &Agent{cfg: Config{NodeName: "n1", DataDir: dataDir, Raft: RaftConfig{LogStore: kind}}, logger: slog.New(slog.DiscardHandler)}, dir
}

// openAndWrite opens the agent's log store, stores entries 1–3 and a term,
// and closes it.
func openAndWrite(t *testing.T, a *Agent, dir string) {
	t.Helper()
	s, err := a.openLogStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := []*raft.Log{{Index: 1, Term: 1, Data: []byte("a")}, {Index: 2, Term: 1, Data: []byte("b")}, {Index: 3, Term: 2, Data: []byte("c")}}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLogStoreBothKindsKeepEntriesAcrossReopen(t *testing.T) {
	for _, kind := range []LogStoreKind{LogStoreWAL, LogStoreBoltDB} {
		t.Run(string(kind), func(t *testing.T) {
			a, dir := logStoreAgent(t, t.TempDir(), kind)
			openAndWrite(t, a, dir)
			s, err := OpenLogStore(kind, dir, hclog.NewNullLogger())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			var l raft.Log
			last, _ := s.LastIndex()
			term, _ := s.GetUint64([]byte("CurrentTerm"))
			if err := s.GetLog(3, &l); err != nil || last != 3 || string(l.Data) != "c" || term != 2 {
				t.Fatalf("after reopen: last %d, entry 3 %q (%v), term %d", last, l.Data, err, term)
			}
			b, err := os.ReadFile(filepath.Join(dir, logStoreMarker))
			if err != nil || strings.TrimSpace(string(b)) != string(kind) {
				t.Fatalf("marker = %q, %v", b, err)
			}
		})
	}
}

func TestLogStoreUnsetFollowsTheDataDir(t *testing.T) {
	data := t.TempDir()
	a, dir := logStoreAgent(t, data, "")
	openAndWrite(t, a, dir)
	if kind, _, _ := recordedLogStore(dir); kind != DefaultLogStore {
		t.Fatalf("a new data dir without raft.log_store holds %q, not %q", kind, DefaultLogStore)
	}
	// A data dir older than the marker: raft.db and nothing else.
	old := t.TempDir()
	b, oldDir := logStoreAgent(t, old, LogStoreBoltDB)
	openAndWrite(t, b, oldDir)
	if err := os.Remove(filepath.Join(oldDir, logStoreMarker)); err != nil {
		t.Fatal(err)
	}
	unset, _ := logStoreAgent(t, old, "")
	s, err := unset.openLogStore(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := s.LastIndex()
	_ = s.Close()
	kind, _, _ := recordedLogStore(oldDir)
	if last != 3 || kind != LogStoreBoltDB {
		t.Fatalf("an old raft.db data dir opened as %q with last index %d", kind, last)
	}
	if mb, _ := os.ReadFile(filepath.Join(oldDir, logStoreMarker)); strings.TrimSpace(string(mb)) != "boltdb" {
		t.Fatalf("the old data dir's store was not recorded: %q", mb)
	}
}

func TestLogStoreMismatchIsRefusedWithTheMigration(t *testing.T) {
	for _, tc := range []struct{ created, wanted LogStoreKind }{{LogStoreBoltDB, LogStoreWAL}, {LogStoreWAL, LogStoreBoltDB}} {
		data := t.TempDir()
		a, dir := logStoreAgent(t, data, tc.created)
		openAndWrite(t, a, dir)
		other, _ := logStoreAgent(t, data, tc.wanted)
		_, err := other.openLogStore(dir)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if !errors.Is(err, ErrLogStoreMismatch) || strings.Contains(msg, "\n") ||
			!strings.Contains(msg, filepath.Join(dir, logStoreMarker)) ||
			!strings.Contains(msg, `records "`+string(tc.created)+`"`) ||
			!strings.Contains(msg, "docs/operations.md#changing-the-raft-log-store") {
			t.Fatalf("%s data dir opened as %s: %v", tc.created, tc.wanted, err)
		}
	}
}

func TestLogStoreBadMarkerAndBadValue(t *testing.T) {
	a, dir := logStoreAgent(t, t.TempDir(), "")
	if err := os.WriteFile(filepath.Join(dir, logStoreMarker), []byte("leveldb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.openLogStore(dir); err == nil || !strings.Contains(err.Error(), `"leveldb" is not a log store`) {
		t.Fatalf("bad marker: %v", err)
	}
	if _, err := ParseLogStoreKind("rocksdb"); err == nil || !strings.Contains(err.Error(), "want boltdb or wal") {
		t.Fatalf("ParseLogStoreKind: %v", err)
	}
	if k, err := ParseLogStoreKind(""); err != nil || k != DefaultLogStore {
		t.Fatalf(`ParseLogStoreKind("") = %q, %v`, k, err)
	}
}

func TestLogStoreConfigKey(t *testing.T) {
	cfg, err := ParseConfig("agent.yaml", []byte("data_dir: /d\nraft:\n  log_store: boltdb\n"))
	if err != nil || cfg.Raft.LogStore != LogStoreBoltDB {
		t.Fatalf("raft.log_store: boltdb = %q, %v", cfg.Raft.LogStore, err)
	}
	_, err = ParseConfig("agent.yaml", []byte("data_dir: /d\nraft:\n  log_store: rocksdb\n"))
	if !errors.Is(err, ErrConfig) || !strings.HasPrefix(strings.TrimPrefix(err.Error(), ErrConfig.Error()+": "), "agent.yaml:3:") ||
		!strings.Contains(err.Error(), "want boltdb or wal") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("bad raft.log_store: %v", err)
	}
	_, err = ParseConfig("agent.yaml", []byte("raft:\n  logstore: wal\n"))
	if err == nil || !strings.Contains(err.Error(), "agent.yaml:2:") {
		t.Fatalf("unknown raft key: %v", err)
	}
	flagSet := DefaultConfig()
	flagSet.DataDir, flagSet.Raft.LogStore = "/d", "rocks"
	if err := flagSet.Validate(); err == nil || !strings.Contains(err.Error(), "--raft-log-store") {
		t.Fatalf("bad --raft-log-store: %v", err)
	}
}
