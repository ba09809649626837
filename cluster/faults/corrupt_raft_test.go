//go:build e2e

package faults

import (
	"context"
	encbinary "encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yairfalse/ovi/transport"
)

// overwriteRaftPages damages a stopped node's raft.db: from page 2 (past
// bbolt's two meta pages) up to the high-water mark, every page's body
// (wholePages false: the 16-byte page headers survive, so bbolt's page-id
// checks pass and its reads run off the end of slices) or every whole
// page is overwritten with random bytes. It returns the pages damaged.
func overwriteRaftPages(t *testing.T, path string, wholePages bool, seed uint64) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	err = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	pageSize := int64(db.Info().PageSize)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	from := int64(16)
	if wholePages {
		from = 0
	}
	pages := 0
	for p := int64(2); (p+1)*pageSize <= used; p++ {
		for i := p*pageSize + from; i < (p+1)*pageSize; i++ {
			data[i] = byte(rng.Uint32())
		}
		pages++
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestCorruptRaftLogRefusedAtStart damages the Raft log of two stopped
// followers in turn. On boltdb: raft.db's page bodies on one, whole pages
// on the other. On wal: one flipped byte in the entry data of an early
// append of the last segment on one (raft-wal would serve the damaged
// entry: only the last append's CRC is checked), one in the last append
// the follower had applied on the other (raft-wal would drop it as a
// torn write; the store had applied it). Each restart must fail with exit
// status 1 and one "ovi:" line naming the file and the recovery, never a
// panic or "this is a bug in ovi". Then the recovery it names is
// followed: remove-peer on the leader, remove the node's raft directory,
// start it: it rejoins as a voter and ends with every record the others
// have.
func TestCorruptRaftLogRefusedAtStart(t *testing.T) { eachLogStore(t, corruptRaftLogRefused) }

func corruptRaftLogRefused(t *testing.T, store string) {
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.logStore(store)
	cl.write(infra{web: 1})
	l := cl.start()
	cl.waitConverged(l, 1, 0, 90*time.Second)
	w := notesWitnessed(t, cl, l, "raftdb", 200, func(j int) string { return fmt.Sprint(j, strings.Repeat(" x", 100)) })
	for i, f := range others(cl.nodes, l) {
		damage := raftDBDamage(i == 1)
		if store == "wal" {
			damage = walDamage(i == 1)
		}
		refuseCorruptRaftLog(t, f, damage)
		l = recoverCorruptRaftLog(t, cl, l, f)
	}
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Fatalf("after both resyncs, %d records missing:\n%s", lost, strings.Join(msgs, "\n"))
	}
	t.Logf("both followers resynced %d records", len(mustWAL(t, l)))
}

// logDamage damages a stopped node's Raft log; applied is the store's
// applied index before the node was stopped. It returns the file the
// refusal must name and what it did.
type logDamage func(t *testing.T, n *node, applied uint64) (string, string)

// raftDBDamage overwrites raft.db's page bodies or whole pages.
func raftDBDamage(wholePages bool) logDamage {
	return func(t *testing.T, n *node, _ uint64) (string, string) {
		db := filepath.Join(n.dataDir, "raft", "raft.db")
		pages := overwriteRaftPages(t, db, wholePages, uint64(len(n.name)))
		return db, fmt.Sprintf("%d pages overwritten (whole pages: %v)", pages, wholePages)
	}
}

// walDamage flips one byte of entry data in the last segment: in the
// second append, or (last) in the last append holding only entries the
// store had applied.
func walDamage(last bool) logDamage {
	return func(t *testing.T, n *node, applied uint64) (string, string) {
		segs, err := filepath.Glob(filepath.Join(n.dataDir, "raft", "wal", "*.wal"))
		if err != nil || len(segs) == 0 {
			t.Fatalf("%s: no wal segment (%v)", n.name, err)
		}
		seg := segs[len(segs)-1] // names sort by base index
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		var base uint64
		if _, err := fmt.Sscanf(filepath.Base(seg), "%020d-", &base); err != nil {
			t.Fatal(err)
		}
		apps := walAppends(data, base)
		k := 1
		for last && k+1 < len(apps) && apps[k+1].last <= applied {
			k++
		}
		if len(apps) < 3 || apps[k].last > applied {
			t.Fatalf("%s: %d appends in %s, none to damage below applied %d", n.name, len(apps), seg, applied)
		}
		data[apps[k].firstData] ^= 0x5a
		if err := os.WriteFile(seg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return seg, fmt.Sprintf("one byte flipped in append %d of %d (entries up to %d, applied %d)", k+1, len(apps), apps[k].last, applied)
	}
}

// walAppend is one append of a raft-wal segment: the offset of its first
// entry's data and the index of its last entry.
type walAppend struct {
	firstData int64
	last      uint64
}

// walAppends walks a raft-wal segment's frames (8-byte header: type 1
// entry, 2 index, 3 commit; a length; payload padded to 8 bytes) from
// its 32-byte header to the first zero frame.
func walAppends(data []byte, base uint64) []walAppend {
	var out []walAppend
	idx, first := base, int64(-1)
	for off := int64(32); off+8 <= int64(len(data)) && data[off] != 0 && data[off] <= 3; {
		n := int64(encbinary.LittleEndian.Uint32(data[off+4 : off+8]))
		switch data[off] {
		case 1:
			if first < 0 {
				first = off + 8 + min(n-1, 40) // inside the entry, past the codec's varints
			}
			idx++
		case 3:
			if first >= 0 {
				out = append(out, walAppend{firstData: first, last: idx - 1})
			}
			first, n = -1, 0
		}
		off += 8 + n + (8-n%8)%8
	}
	return out
}

// refuseCorruptRaftLog stops f, damages its log and expects the restart
// to fail with one line naming the damaged file.
func refuseCorruptRaftLog(t *testing.T, f *node, damage logDamage) {
	t.Helper()
	st := storeWritten(t, f)
	f.Kill()
	file, what := damage(t, f, st.AppliedIndex)
	start := time.Now()
	f.start()
	select {
	case <-f.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the agent started on a damaged log (%s)", f.name, what)
	}
	out := f.Log()
	lines := grepLines(out, "ovi: ")
	if code := f.ExitCode(); code != 1 || len(lines) != 1 || !strings.Contains(lines[0], file) ||
		!strings.Contains(lines[0], "raft log is corrupt") || !strings.Contains(lines[0], "remove-peer "+f.name) ||
		strings.Contains(out, "panic") || strings.Contains(out, "bug in ovi") || strings.Contains(out, "goroutine ") {
		t.Fatalf("%s: %s; want exit 1 and one line naming %s, got exit %d and:\n%s", f.name, what, file, code, headOf(out))
	}
	t.Logf("%s: %s; refused in %s with exit 1: %s", f.name, what, time.Since(start).Round(time.Millisecond), lines[0])
}

// storeWritten waits until f's store has written every entry it applied
// (none buffered, the applied index the same before and after) and
// returns its status then. With buffered commits (store_commit_interval)
// a SIGKILLed node's file can lack what it applied in its last interval;
// a damaged append its store never kept is no loss, and the node would
// rightly start and fetch the entry again.
func storeWritten(t *testing.T, f *node) transport.StatusResponse {
	t.Helper()
	var st transport.StatusResponse
	waitFor(t, f.name+"'s store written", 20*time.Second, func() bool {
		before, ok1 := f.status()
		buffered := metricValue(t, f, "ovi_store_buffered_entries")
		after, ok2 := f.status()
		st = after
		return ok1 && ok2 && buffered == 0 && before.AppliedIndex == after.AppliedIndex
	})
	return st
}

// recoverCorruptRaftLog follows the error's recovery for f and returns
// the leader.
func recoverCorruptRaftLog(t *testing.T, cl *cluster, l, f *node) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := l.client.RemovePeer(ctx, transport.RemovePeerRequest{ID: f.name}); err != nil {
		t.Fatalf("remove-peer %s: %v", f.name, err)
	}
	if err := os.RemoveAll(filepath.Join(f.dataDir, "raft")); err != nil {
		t.Fatal(err)
	}
	l = cl.restart(f)
	waitFor(t, f.name+" a voter again", 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		peers, err := l.client.RaftPeers(ctx)
		if err != nil {
			return false
		}
		for _, p := range peers.Peers {
			if p.ID == f.name && p.Suffrage == "voter" {
				return true
			}
		}
		return false
	})
	return l
}
