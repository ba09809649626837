//go:build e2e

package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/yairfalse/ovi/transport"
)

// diskFault takes a node's disk space away and gives it back.
type diskFault interface {
	name() string
	// prepare runs before the nodes start (a tmpfs must be mounted first).
	prepare(t *testing.T, nodes []*node)
	fill(t *testing.T, n *node)
	release(t *testing.T, n *node)
	// errText is what the node's log must say while its disk is full.
	errText() string
}

// logStores are the Raft log stores the disk and corruption faults run
// on: the default (wal) and the other supported one.
func logStores() []string { return []string{"wal", "boltdb"} }

// eachLogStore runs test once per log store, as a subtest named after it.
func eachLogStore(t *testing.T, test func(t *testing.T, store string)) {
	for _, store := range logStores() {
		t.Run(store, func(t *testing.T) { test(t, store) })
	}
}

// pickDiskFault uses a small tmpfs when this process may mount one (a
// real ENOSPC), else RLIMIT_FSIZE on the node's process (EFBIG: the same
// failed writes, without root). OVI_FAULTS_DISK=rlimit forces the latter.
func pickDiskFault(t *testing.T, store string) diskFault {
	t.Helper()
	if os.Getenv("OVI_FAULTS_DISK") == "rlimit" {
		return &rlimitFault{store: store}
	}
	probe := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe).Run(); err == nil {
		_ = exec.Command("umount", probe).Run()
		// raft-wal preallocates its 64 MiB segment: room for it and as
		// much again for the rest.
		size := 64
		if store == "wal" {
			size = 128
		}
		return &tmpfsFault{mib: size}
	}
	return &rlimitFault{store: store}
}

// tmpfsFault mounts a tmpfs of mib MiB on every data dir and fills it up.
type tmpfsFault struct {
	mib    int
	filler string
}

func (f *tmpfsFault) name() string {
	return fmt.Sprintf("%d MiB tmpfs filled to 0 bytes free (ENOSPC)", f.mib)
}
func (*tmpfsFault) errText() string { return "no space left on device" }

func (f *tmpfsFault) prepare(t *testing.T, nodes []*node) {
	t.Helper()
	for _, n := range nodes {
		opts := fmt.Sprintf("size=%dm,mode=0700", f.mib)
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", n.dataDir).CombinedOutput()
		if err != nil {
			t.Fatalf("mount -t tmpfs on %s: %v: %s", n.dataDir, err, out)
		}
		dir := n.dataDir
		t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	}
}

func (f *tmpfsFault) fill(t *testing.T, n *node) {
	t.Helper()
	f.filler = filepath.Join(n.dataDir, "filler")
	file, err := os.Create(f.filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := file.Write(chunk); err != nil {
			break // full
		}
	}
	_ = file.Close()
	if free := freeBytes(t, n.dataDir); free > 64<<10 {
		t.Fatalf("%s: still %d bytes free after filling", n.name, free)
	}
}

func (f *tmpfsFault) release(t *testing.T, _ *node) {
	t.Helper()
	if err := os.Remove(f.filler); err != nil {
		t.Fatal(err)
	}
}

// rlimitFault caps the size of any file the node's process writes at the
// current size of its Raft log (raft.db's size; for wal, where the last
// segment's written frames end: the segment is preallocated, and
// RLIMIT_FSIZE refuses a write at an offset past the limit), so the log
// cannot grow: the first write a full disk refuses too (the state store
// is preallocated).
type rlimitFault struct{ store string }

func (*rlimitFault) name() string                { return "RLIMIT_FSIZE at the Raft log's size (EFBIG)" }
func (*rlimitFault) errText() string             { return "file too large" }
func (*rlimitFault) prepare(*testing.T, []*node) {}

func (f *rlimitFault) fill(t *testing.T, n *node) {
	t.Helper()
	var size int64
	if f.store == "boltdb" {
		info, err := os.Stat(filepath.Join(n.dataDir, "raft", "raft.db"))
		if err != nil {
			t.Fatal(err)
		}
		size = info.Size()
	} else {
		size = walWrittenEnd(t, n)
	}
	lim := unix.Rlimit{Cur: uint64(size), Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(n.Pid(), unix.RLIMIT_FSIZE, &lim, nil); err != nil {
		t.Fatalf("prlimit RLIMIT_FSIZE of %s: %v", n.name, err)
	}
}

// release lifts the limit; a process that has exited has none.
func (*rlimitFault) release(t *testing.T, n *node) {
	t.Helper()
	lim := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(n.Pid(), unix.RLIMIT_FSIZE, &lim, nil); err != nil && (n.Running() || !errors.Is(err, unix.ESRCH)) {
		t.Fatalf("prlimit RLIMIT_FSIZE of %s: %v", n.name, err)
	}
}

// walWrittenEnd is where the frames of n's last raft-wal segment end: past
// its last non-zero byte, rounded up to raft-wal's 8-byte frames.
func walWrittenEnd(t *testing.T, n *node) int64 {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(n.dataDir, "raft", "wal", "*.wal"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("%s: no wal segment (%v)", n.name, err)
	}
	data, err := os.ReadFile(segs[len(segs)-1]) // names sort by base index
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(data, "\x00"))
	return int64((end + 7) / 8 * 8)
}

// freeBytes is the space left on the file system holding dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// TestFollowerDiskFull takes the disk away from a follower while the
// cluster takes 400 writes of 4 KiB notes. The cluster must keep serving
// every write. The follower either falls behind, logging why (naming the
// file under data_dir/raft), stays up and catches up with every record —
// no restart — once space returns; or, when a file other than the log
// fails first, it stops with one line naming that file (the FSM's store
// failure is fatal) and, started again once space returns, catches up
// with every record. On boltdb the log's own append fails first (raft.db
// grows); raft-wal appends into its preallocated 64 MiB segment, so on a
// full file system the store's write fails first.
func TestFollowerDiskFull(t *testing.T) { eachLogStore(t, followerDiskFull) }

func followerDiskFull(t *testing.T, store string) {
	cl, fault, l, w := startDiskCluster(t, store)
	f := others(cl.nodes, l)[0]
	fault.fill(t, f)
	full := time.Now()
	text := strings.Repeat("x", 4<<10)
	const writes = 400
	for i := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := l.client.Note(ctx, transport.NoteRequest{ResourceID: "disk", Text: fmt.Sprintf("%d %s", i, text)})
		cancel()
		if err != nil {
			t.Fatalf("write %d while %s's disk is full: %v", i, f.name, err)
		}
	}
	outcome := followerFullOutcome(t, f, l, fault)
	if store == "boltdb" && !f.Running() {
		t.Fatalf("%s stopped instead of waiting for space (raft.db's append fails first): %s", f.name, outcome)
	}
	fault.release(t, f)
	released := time.Now()
	if !f.Running() {
		l = cl.restart(f)
	}
	waitFor(t, f.name+" caught up after space returned", 60*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	caught := time.Since(released)
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Errorf("%d committed records lost:\n%s", lost, strings.Join(msgs, "\n"))
	}
	notes := 0
	for _, e := range replayCLI(t, cl.bin, f) {
		if e.Record.Note != nil && e.Record.ResourceID == "disk" {
			notes++
		}
	}
	if notes != writes {
		t.Errorf("%s holds %d of the %d notes written while its disk was full", f.name, notes, writes)
	}
	t.Logf("%s on %s: %s; %d writes served meanwhile; %s, %s after the fill; caught up %s after space returned",
		f.name, store, fault.name(), writes, outcome, released.Sub(full).Round(time.Millisecond), caught.Round(time.Millisecond))
}

// followerFullOutcome checks what the follower f did with its disk full
// (see TestFollowerDiskFull) and describes it.
func followerFullOutcome(t *testing.T, f, l *node, fault diskFault) string {
	t.Helper()
	// An agent whose store failed is still shutting down (gossip leave,
	// Raft shutdown) for up to a second after it logged why: judge it
	// once it has exited, not as one that stayed up.
	if strings.Contains(f.Log(), "agent stopping on a fatal error") {
		waitFor(t, f.name+" to exit after its fatal error", 30*time.Second, func() bool { return !f.Running() })
	}
	errs := grepLines(f.Log(), fault.errText())
	if !f.Running() {
		lines := grepLines(f.Log(), "ovi: ")
		out := f.Log()
		if code := f.ExitCode(); code != 1 || len(lines) != 1 || !strings.Contains(lines[0], fault.errText()) ||
			!strings.Contains(lines[0], f.dataDir) || strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
			t.Fatalf("%s stopped with exit %d; want exit 1 and one line naming a file under %s:\n%s", f.name, code, f.dataDir, headOf(out))
		}
		return "stopped with exit 1: " + lines[0]
	}
	st, _ := f.status()
	lst, _ := l.status()
	if st.AppliedIndex >= lst.CommitIndex {
		t.Errorf("%s kept up with a full disk (applied %d, commit %d): the fault did not bite", f.name, st.AppliedIndex, lst.CommitIndex)
	}
	if len(errs) == 0 || !strings.Contains(errs[0], filepath.Join(f.dataDir, "raft")) {
		t.Errorf("%s's log does not name the failing file with %q; first lines: %v", f.name, fault.errText(), errs)
	}
	return fmt.Sprintf("stayed up, applied %d of %d, logged %d %q errors (first: %s)",
		st.AppliedIndex, lst.CommitIndex, len(errs), fault.errText(), firstOr(errs, "-"))
}

// startDiskCluster starts a cluster whose data dirs are on the disk
// fault's file systems, converged on one instance, and a witness watching
// every node until the test ends.
func startDiskCluster(t *testing.T, store string) (*cluster, diskFault, *node, *witness) {
	t.Helper()
	bin := binary(t)
	fault := pickDiskFault(t, store)
	cl := newCluster(t, bin, startCloud(t, bin), false)
	cl.logStore(store)
	fault.prepare(t, cl.nodes)
	cl.write(infra{web: 1})
	l := cl.start()
	cl.waitConverged(l, 1, 0, 90*time.Second)
	return cl, fault, l, cl.watchWitness()
}

// logStore makes every node run on the Raft log store named (its
// --raft-log-store flag).
func (cl *cluster) logStore(store string) {
	for _, n := range cl.nodes {
		n.flags = append(n.flags, "--raft-log-store", store)
	}
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return out
}

func firstOr(lines []string, def string) string {
	if len(lines) == 0 {
		return def
	}
	return lines[0]
}
