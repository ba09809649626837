//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Keys an operator types at the prompt.
const (
	keyNo    = "no\r"
	keyCtrlC = "\x03"
	keyCtrlD = "\x04" // EOF at the start of a line
	keyYes   = "yes\r"
)

// TestApprovalPromptOnATerminal: reconcile, adopt and compact run on a real
// pseudo-terminal against `ovi agent -dev` ask before they act; "no",
// Ctrl-C and Ctrl-D (EOF) each abort with "cancelled: nothing was
// changed" (compact: "dropped") and nothing applied (no executing record, no compaction), and "yes" applies.
func TestApprovalPromptOnATerminal(t *testing.T) {
	bin := clustertest.Binary(t)
	dir := t.TempDir()
	port, client := startQuietDevAgent(t, bin, dir)
	run := func(args ...string) string { return devOvi(t, bin, port, args...) }
	file := filepath.Join(dir, "infrastructure.yaml")
	write := func(body string) {
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(whyFile(2, "a"))
	run("reconcile", "--auto-approve", "-f", file)
	write(whyFile(0, "a"))
	run("reconcile", "--auto-approve", "-f", file) // the deletes are held for a re-check; the next run deletes

	executing := func() int { return recordCount(t, client, wal.KindExecuting) }
	compactions := func() int { return recordCount(t, client, wal.KindCompaction) }
	prompts := []struct {
		name   string
		args   []string
		prompt string
		count  func() int
		abort  string
		done   string
	}{
		{"reconcile", []string{"reconcile", "-f", file}, "The plan deletes or stops 1 resource. Do you want to apply it?", executing,
			"ovi: reconcile: apply cancelled: nothing was changed", "Apply complete: 0 created, 0 updated, 1 deleted"},
		{"adopt", []string{"adopt", "-f", adoptFileAt(t, dir), "--matching", "data"}, "Ovi will tag 2 resources as its own. Do you want to adopt them?", executing,
			"ovi: adopt: apply cancelled: nothing was changed", "Adopt complete: 2 adopted, 0 failed"},
		{"compact", []string{"compact", "--keep-revisions", "5"}, "Dropped history cannot be brought back. Do you want to compact?", compactions,
			"ovi: compact: compaction cancelled: nothing was dropped", "Compacted in revision"},
	}
	for _, p := range prompts {
		for _, key := range []string{keyNo, keyCtrlC, keyCtrlD} {
			before := p.count()
			code, screen := ptyOvi(t, bin, port, key, p.args...)
			if code == 0 || !strings.Contains(screen, p.prompt) || !strings.Contains(screen, p.abort) {
				t.Fatalf("%s answered %q: exit %d, terminal:\n%s", p.name, key, code, screen)
			}
			if after := p.count(); after != before {
				t.Fatalf("%s answered %q applied something: %d records → %d", p.name, key, before, after)
			}
		}
		before := p.count()
		code, screen := ptyOvi(t, bin, port, keyYes, p.args...)
		if code != 0 || !strings.Contains(screen, p.done) || p.count() <= before {
			t.Fatalf("%s answered yes: exit %d, records %d → %d, terminal:\n%s", p.name, code, before, p.count(), screen)
		}
	}
}

// adoptFileAt writes adoptFile into dir and returns its path.
func adoptFileAt(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "adopt.yaml")
	if err := os.WriteFile(path, []byte(adoptFile(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// recordCount is how many records of kind the WAL of the agent c talks
// to holds.
func recordCount(t *testing.T, c *transport.Client, kind wal.Kind) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{kind}})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Records)
}

// ptyOvi runs the CLI against the dev agent on port with a new
// pseudo-terminal as its controlling terminal (stdin, stdout and stderr),
// types keys once it asks "Enter a value:", and returns its exit code and
// everything the terminal showed.
func ptyOvi(t *testing.T, bin string, port int, keys string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--address", fmt.Sprintf("127.0.0.1:%d", port), "--no-color"}, args...)...)
	cmd.Env = hermeticEnv()
	term, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = term.Close() }()
	screen := &syncBuffer{}
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := term.Read(buf)
			screen.write(buf[:n])
			if err != nil { // EIO once the process has exited
				return
			}
		}
	}()
	clustertest.WaitForSeen(t, "the prompt", 20*time.Second, func() (bool, string) {
		return strings.Contains(screen.String(), "Enter a value: "), screen.String()
	})
	if _, err := term.Write([]byte(keys)); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	<-read
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), screen.String()
	case err != nil:
		t.Fatalf("ovi %s: %v\n%s", strings.Join(args, " "), err, screen.String())
	}
	return 0, screen.String()
}

// syncBuffer is a buffer one goroutine writes while another reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) write(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
