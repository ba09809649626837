package mvcc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/wal"
)

// crashChildEnv, when set, makes the test binary run runCrashChild on the
// store in that directory instead of the tests.
const (
	crashChildEnv = "OVI_MVCC_CRASH_CHILD_DIR"
	// crashDeferredEnv, when set, makes the child commit without fsync
	// (Options.SyncInterval), as the FSM's store does.
	crashDeferredEnv = "OVI_MVCC_CRASH_CHILD_DEFERRED"
	// crashBufferedEnv, when set as well, makes the child buffer its
	// commits (Options.CommitInterval), as the FSM's store does.
	crashBufferedEnv = "OVI_MVCC_CRASH_CHILD_BUFFERED"
	crashCommitEvery = 2 * time.Millisecond
	crashMaxBatch    = 16
	crashSyncEvery   = 20 * time.Millisecond
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(runCrashChild(dir))
	}
	if path := os.Getenv(migrateChildEnv); path != "" {
		os.Exit(runMigrateChild(path))
	}
	code := m.Run()
	benchCleanup()
	os.Exit(code)
}

// crashEntry is the deterministic content of entry i.
func crashEntry(i uint64) Entry {
	e := Entry{Index: i, Term: 1 + i/100, Ops: []Op{
		put(fmt.Sprintf("c/%02d", i%37), fmt.Sprintf("v%d", i)),
		put(fmt.Sprintf("seq/%08d", i), strconv.FormatUint(i, 10)),
	}}
	if i%3 == 0 {
		e.Ops = append(e.Ops, del(fmt.Sprintf("c/%02d", (i+5)%37)))
	}
	at := time.Unix(1_700_000_000+int64(i), 0)
	for j := range 2 {
		e.Records = append(e.Records, note(fmt.Sprintf("r-%d", i%7), fmt.Sprintf("%d/%d", i, j), at))
	}
	if i%50 == 0 {
		e.Compact = i - 20
	}
	return e
}

// runCrashChild commits batches of crash entries forever, printing the
// last index of each batch once Commit has returned (fsync on, or deferred
// with crashDeferredEnv).
func runCrashChild(dir string) int {
	var opts Options
	if os.Getenv(crashDeferredEnv) != "" {
		opts.SyncInterval = crashSyncEvery
	}
	if os.Getenv(crashBufferedEnv) != "" {
		opts.CommitInterval = crashCommitEvery
	}
	s, err := Open(filepath.Join(dir, "state.db"), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 3))
	next, _ := s.AppliedIndex()
	for {
		var batch []Entry
		for range 1 + rng.IntN(crashMaxBatch) {
			next++
			batch = append(batch, crashEntry(next))
		}
		if err := s.Commit(batch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		if _, err := fmt.Printf("%d\n", next); err != nil {
			return 4
		}
	}
}

// TestCrashKill9 kills a committing child process with SIGKILL at random
// points and checks the store holds exactly the acknowledged entries (plus
// at most the one batch in flight), never part of an entry.
func TestCrashKill9(t *testing.T) { crashTest(t, crashFsync) }

// TestCrashKill9DeferredSync is TestCrashKill9 with commits that do not
// fsync: a killed process loses nothing the kernel accepted, and the store
// reopens on the same boot (a later boot would have to rebuild it unless
// the marker says clean).
func TestCrashKill9DeferredSync(t *testing.T) { crashTest(t, crashDeferred) }

// TestCrashKill9BufferedCommit is TestCrashKill9DeferredSync with buffered
// commits, as the FSM's store runs: a killed process loses the entries it
// had buffered, never part of one, and what the store holds is a prefix of
// what was acknowledged; replaying the acknowledged entries after its
// applied index (as Raft replays its log) brings it to exactly them.
func TestCrashKill9BufferedCommit(t *testing.T) { crashTest(t, crashBuffered) }

// crashMode is how the crash child commits.
type crashMode int

const (
	crashFsync    crashMode = iota // fsync every commit
	crashDeferred                  // Options.SyncInterval
	crashBuffered                  // Options.SyncInterval and Options.CommitInterval
)

func crashTest(t *testing.T, mode crashMode) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(99, 1))
	var acked uint64
	for round := range 8 {
		kills := rng.IntN(40)
		if mode == crashBuffered {
			kills = rng.IntN(1200) // past the first writes of the buffer, on schedule and when full
		}
		if round%4 == 0 {
			kills = 0 // kill while opening or in the first commit
		}
		delay := time.Duration(rng.IntN(5000)) * time.Microsecond
		acked = max(acked, crashRound(t, dir, kills, delay, mode))
		if mode != crashFsync {
			verifyDeferredReopen(t, dir)
		}
		if mode == crashBuffered {
			verifyCrashPrefix(t, dir, acked)
		}
		verifyCrashStore(t, dir, acked)
	}
	if acked == 0 {
		t.Fatal("no batch was ever acknowledged")
	}
}

// verifyDeferredReopen opens the killed child's store as the agent would
// on this boot (it must be trusted) and checks that a dirty marker makes a
// later boot refuse it.
func verifyDeferredReopen(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "state.db")
	b, err := os.ReadFile(MarkerPath(path))
	if err != nil && !errors.Is(err, os.ErrNotExist) { // killed before Open made it
		t.Fatalf("sync marker: %v", err)
	}
	m, err := decodeMarker(b)
	if err != nil && len(b) > 0 {
		t.Fatalf("sync marker after kill: %v", err)
	}
	if m.state == markerDirty {
		if _, err := Open(path, Options{SyncInterval: time.Hour, BootID: "a-later-boot"}); !errors.Is(err, ErrTorn) {
			t.Fatalf("Open on a later boot of a dirty store = %v, want ErrTorn", err)
		}
	}
	s, err := Open(path, Options{SyncInterval: time.Hour})
	if err != nil {
		t.Fatalf("reopen on the same boot after kill: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// startChild starts this test binary as a child process (running no
// test; TestMain's hooks act on env) and returns it, a scanner of its
// stdout and its stderr so far.
func startChild(ctx context.Context, t *testing.T, env ...string) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out), stderr
}

// crashRound runs the child until it has acknowledged `after` batches, kills
// it and returns the highest acknowledged index.
func crashRound(t *testing.T, dir string, after int, delay time.Duration, mode crashMode) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := []string{crashChildEnv + "=" + dir}
	if mode != crashFsync {
		env = append(env, crashDeferredEnv+"=1")
	}
	if mode == crashBuffered {
		env = append(env, crashBufferedEnv+"=1")
	}
	cmd, sc, stderr := startChild(ctx, t, env...)
	var acked uint64
	lines := 0
	killed := false
	for {
		if lines >= after && !killed {
			// The kill lands a random moment later, anywhere in the
			// child's next commits (not a wait: the loop keeps reading).
			time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
			killed = true
		}
		if !sc.Scan() {
			break
		}
		n, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		acked = max(acked, n)
		lines++
	}
	err := cmd.Wait()
	if !killed {
		t.Fatalf("child exited by itself: %v, stderr: %s", err, stderr.String())
	}
	return acked
}

// reopenCrashed opens the killed child's store and returns its applied
// index.
func reopenCrashed(t *testing.T, dir string) (*Store, uint64) {
	t.Helper()
	s, err := Open(filepath.Join(dir, "state.db"), Options{NoSync: true})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	applied, _ := s.AppliedIndex()
	return s, applied
}

// verifyCrashPrefix reopens a buffered child's store, checks it holds a
// prefix of the acknowledged entries (a kill loses the buffer, never part
// of an entry) and replays the acknowledged entries after its applied
// index, as Raft replays its log at start.
func verifyCrashPrefix(t *testing.T, dir string, acked uint64) {
	t.Helper()
	s, applied := reopenCrashed(t, dir)
	defer func() { _ = s.Close() }()
	t.Logf("acknowledged %d, in the store %d (the rest was buffered)", acked, applied)
	if applied > acked+crashMaxBatch {
		t.Fatalf("applied index %d beyond what was acknowledged (%d) and in flight", applied, acked)
	}
	verifyCrashContent(t, s, applied)
	var replay []Entry
	for i := applied + 1; i <= acked; i++ {
		replay = append(replay, crashEntry(i))
	}
	if len(replay) > 0 {
		mustCommit(t, s, replay...)
	}
}

// verifyCrashStore reopens the store and checks its content against the
// deterministic entries.
func verifyCrashStore(t *testing.T, dir string, acked uint64) {
	t.Helper()
	s, applied := reopenCrashed(t, dir)
	defer func() { _ = s.Close() }()
	t.Logf("acknowledged %d, applied %d", acked, applied)
	if applied < acked || applied > acked+crashMaxBatch {
		t.Fatalf("applied index %d; acknowledged %d (at most one batch of %d may be in flight)", applied, acked, crashMaxBatch)
	}
	verifyCrashContent(t, s, applied)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkBoltConsistent(t, filepath.Join(dir, "state.db"))
}

// verifyCrashContent checks the store holds exactly the deterministic
// entries 1..applied.
func verifyCrashContent(t *testing.T, s *Store, applied uint64) {
	t.Helper()
	m := newModel()
	for i := uint64(1); i <= applied; i++ {
		m.apply(crashEntry(i))
	}
	if got, want := s.CompactedRevision(), m.compacted; got != want {
		t.Fatalf("CompactedRevision = %d, want %d", got, want)
	}
	seq, err := s.List("seq/", 0)
	if err != nil || uint64(len(seq)) != applied {
		t.Fatalf("seq/ keys = %d, %v; want %d", len(seq), err, applied)
	}
	for _, p := range []string{"c/", "seq/"} {
		got, err := s.List(p, 0)
		if err != nil || !slices.EqualFunc(got, m.list(p, applied), sameKV) {
			t.Fatalf("List(%q) differs from the model: %v", p, err)
		}
	}
	verifyCrashRecords(t, s, applied)
}

// verifyCrashRecords checks the audit log holds both records of every
// applied entry and nothing else.
func verifyCrashRecords(t *testing.T, s *Store, applied uint64) {
	t.Helper()
	recs, err := s.Replay(ReplayFilter{})
	if err != nil || uint64(len(recs)) != 2*applied {
		t.Fatalf("audit log holds %d records, %v; want %d", len(recs), err, 2*applied)
	}
	for n, r := range recs {
		i, j := uint64(n/2+1), n%2
		if r.Revision != (Revision{Main: i, Sub: uint32(j)}) || r.Record.Note.Text != fmt.Sprintf("%d/%d", i, j) {
			t.Fatalf("record %d = %v %q", n, r.Revision, r.Record.Note.Text)
		}
	}
	if n, err := s.RecordCount(); err != nil || n != 2*applied {
		t.Fatalf("RecordCount = %d, %v; want %d", n, err, 2*applied)
	}
	if res, err := s.Replay(ReplayFilter{ResourceID: "r-3", Kinds: []wal.Kind{wal.KindNote}}); err != nil || len(res) == 0 && applied >= 3 {
		t.Fatalf("Replay by resource: %d records, %v", len(res), err)
	}
}

// checkBoltConsistent runs bbolt's page-level consistency check on the
// closed store file, opened read-only: tx.Check compares a read
// transaction's pages with the live freelist, so a write beside it (the
// compaction Open resumes in the background) would show as pages
// "reachable freed" or "unreachable unfreed" that are neither.
func checkBoltConsistent(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
