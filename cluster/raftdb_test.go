package cluster

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// writeRaftDB makes a raft.db as a node leaves it: 600 entries of 300
// bytes, the first 100 compacted away, a term and a vote.
func writeRaftDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raft.db")
	s, err := raftboltdb.NewBoltStore(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := make([]*raft.Log, 0, 600)
	for i := range 600 {
		logs = append(logs, &raft.Log{Index: uint64(i + 1), Term: 2, Type: raft.LogCommand, Data: []byte(strings.Repeat("r", 300))})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("LastVoteTerm"), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckRaftDBAcceptsAHealthyOrNewLog(t *testing.T) {
	if err := checkRaftDB(writeRaftDB(t)); err != nil {
		t.Fatalf("healthy raft.db refused: %v", err)
	}
	if err := checkRaftDB(filepath.Join(t.TempDir(), "raft.db")); err != nil {
		t.Fatalf("missing raft.db refused: %v", err)
	}
}

// TestCheckRaftDBRefusesEveryDamagedPage overwrites each page past the
// two meta pages in turn (and then all of them, and the file's tail)
// with junk. Every damage must be either harmless (a free page) or
// ErrRaftLogCorrupt — never a panic, never a fault — and the pages
// holding the log must be caught.
func TestCheckRaftDBRefusesEveryDamagedPage(t *testing.T) {
	clean := writeRaftDB(t)
	orig, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	rng := rand.New(rand.NewPCG(1, 2))
	refused, harmless := 0, 0
	kinds := map[string]int{}
	// Whole pages, then only their bodies (bbolt checks a page's id in
	// its header, not what follows: the slice-bounds panics).
	for pass, from := range []int{0, 16} {
		for p := 2; p*page < len(orig); p++ {
			damaged := append([]byte(nil), orig...)
			for i := p*page + from; i < (p+1)*page; i++ {
				damaged[i] = byte(rng.Uint32())
			}
			err := checkDamaged(t, damaged)
			switch {
			case err == nil:
				harmless++
			case errors.Is(err, ErrRaftLogCorrupt):
				refused++
				kinds[errorKind(err)]++
			default:
				t.Fatalf("pass %d, page %d overwritten: not ErrRaftLogCorrupt: %v", pass, p, err)
			}
		}
	}
	if refused < 150 {
		t.Fatalf("only %d of %d damaged pages refused", refused, refused+harmless)
	}
	t.Logf("%d pages: %d damaged pages refused, %d harmless (free pages); causes: %v", refused+harmless, refused, harmless, kinds)

	all := append([]byte(nil), orig...)
	copy(all[2*page:], strings.Repeat("corrupt!", (len(all)-2*page)/8))
	if err := checkDamaged(t, all); !errors.Is(err, ErrRaftLogCorrupt) {
		t.Fatalf("every data page overwritten: %v", err)
	}
	if err := checkDamaged(t, orig[:len(orig)/3]); !errors.Is(err, ErrRaftLogCorrupt) {
		t.Fatalf("truncated to a third: %v", err)
	}
}

// checkDamaged writes data as a raft.db and checks it.
func checkDamaged(t *testing.T, data []byte) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raft.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return checkRaftDB(path)
}

// TestCorruptRaftDBIsOneLineNamingTheRecovery starts an agent on a
// damaged raft.db: New fails with one line naming the file, the node and
// what to do.
func TestCorruptRaftDBIsOneLineNamingTheRecovery(t *testing.T) {
	cfg := testConfig(t, "corrupt", 1)
	path := filepath.Join(cfg.DataDir, "raft", "raft.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(writeRaftDB(t))
	if err != nil {
		t.Fatal(err)
	}
	copy(data[2*4096:], strings.Repeat("corrupt!", (len(data)-2*4096)/8))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg)
	if err == nil {
		_ = a.Shutdown(t.Context())
		t.Fatal("agent started on a corrupt raft.db")
	}
	msg := err.Error()
	if !errors.Is(err, ErrRaftLogCorrupt) || strings.Contains(msg, "\n") || !strings.Contains(msg, path) ||
		!strings.Contains(msg, "remove-peer "+cfg.NodeName) || !strings.Contains(msg, "remove "+filepath.Dir(path)) {
		t.Fatalf("error = %q", msg)
	}
	t.Log(msg)
}

// errorKind is the first words of an error's cause, digits dropped.
func errorKind(err error) string {
	msg := strings.TrimPrefix(err.Error(), ErrRaftLogCorrupt.Error()+": ")
	msg = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, msg)
	if f := strings.Fields(msg); len(f) > 4 {
		msg = strings.Join(f[:4], " ")
	}
	return msg
}
