//go:build e2e

package faults

import (
	"context"
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

// pickDiskFault uses a small tmpfs when this process may mount one (a
// real ENOSPC), else RLIMIT_FSIZE on the node's process (EFBIG: the same
// failed writes, without root). OVI_FAULTS_DISK=rlimit forces the latter.
func pickDiskFault(t *testing.T) diskFault {
	t.Helper()
	if os.Getenv("OVI_FAULTS_DISK") == "rlimit" {
		return &rlimitFault{}
	}
	probe := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe).Run(); err == nil {
		_ = exec.Command("umount", probe).Run()
		return &tmpfsFault{}
	}
	return &rlimitFault{}
}

// tmpfsFault mounts a 64 MiB tmpfs on every data dir and fills it up.
type tmpfsFault struct{ filler string }

func (*tmpfsFault) name() string    { return "64 MiB tmpfs filled to 0 bytes free (ENOSPC)" }
func (*tmpfsFault) errText() string { return "no space left on device" }

func (*tmpfsFault) prepare(t *testing.T, nodes []*node) {
	t.Helper()
	for _, n := range nodes {
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", n.dataDir).CombinedOutput()
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
// current size of its Raft log store, so the log cannot grow: the first
// write a full disk refuses too (the state store is preallocated).
type rlimitFault struct{}

func (*rlimitFault) name() string                { return "RLIMIT_FSIZE at the Raft log's size (EFBIG)" }
func (*rlimitFault) errText() string             { return "file too large" }
func (*rlimitFault) prepare(*testing.T, []*node) {}

func (*rlimitFault) fill(t *testing.T, n *node) {
	t.Helper()
	info, err := os.Stat(filepath.Join(n.dataDir, "raft", "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	lim := unix.Rlimit{Cur: uint64(info.Size()), Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(n.cmd.Process.Pid, unix.RLIMIT_FSIZE, &lim, nil); err != nil {
		t.Fatalf("prlimit RLIMIT_FSIZE of %s: %v", n.name, err)
	}
}

func (*rlimitFault) release(t *testing.T, n *node) {
	t.Helper()
	lim := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(n.cmd.Process.Pid, unix.RLIMIT_FSIZE, &lim, nil); err != nil {
		t.Fatalf("prlimit RLIMIT_FSIZE of %s: %v", n.name, err)
	}
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
// every write; the follower must log why it cannot keep up (naming the
// file) and fall behind, stay up, and catch up with every record — no
// restart — once space returns.
func TestFollowerDiskFull(t *testing.T) {
	cl, fault, l, w := startDiskCluster(t)

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
	st, _ := f.status()
	lst, _ := l.status()
	errs := grepLines(f.log(), fault.errText())
	if st.AppliedIndex >= lst.CommitIndex {
		t.Errorf("%s kept up with a full disk (applied %d, commit %d): the fault did not bite", f.name, st.AppliedIndex, lst.CommitIndex)
	}
	if len(errs) == 0 || !strings.Contains(errs[0], filepath.Join(f.dataDir, "raft")) {
		t.Errorf("%s's log does not name the failing file with %q; first lines: %v", f.name, fault.errText(), errs)
	}
	fault.release(t, f)
	released := time.Now()
	waitFor(t, f.name+" caught up after space returned", 60*time.Second, func() bool { return caughtUp(cl.nodes, l) })
	caught := time.Since(released)
	if !f.running() {
		t.Fatalf("%s stopped instead of waiting for space", f.name)
	}
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
	t.Logf("%s: %s; %d writes served meanwhile; follower applied %d of %d, logged %d %q errors in %s (first: %s); caught up %s after space returned",
		f.name, fault.name(), writes, st.AppliedIndex, lst.CommitIndex, len(errs), fault.errText(), released.Sub(full).Round(time.Millisecond),
		firstOr(errs, "-"), caught.Round(time.Millisecond))
}

// startDiskCluster starts a cluster whose data dirs are on the disk
// fault's file systems, converged on one instance, and a witness watching
// every node until the test ends.
func startDiskCluster(t *testing.T) (*cluster, diskFault, *node, *witness) {
	t.Helper()
	bin := binary(t)
	fault := pickDiskFault(t)
	cl := newCluster(t, bin, startCloud(t, bin), false)
	fault.prepare(t, cl.nodes)
	cl.write(infra{web: 1})
	l := cl.start()
	cl.waitConverged(l, 1, 0, 90*time.Second)
	w := newWitness()
	stop := make(chan struct{})
	go w.watch(cl.nodes, stop)
	t.Cleanup(func() { close(stop) })
	return cl, fault, l, w
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
