//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// Markers in README.md: the fenced block after `<!-- quickstart -->` is run
// in the second terminal; the one after `<!-- quickstart:agent -->` is the
// first terminal (it runs the agent until Ctrl-C).
var quickstartMarker = regexp.MustCompile(`^<!--\s*quickstart(:agent)?\s*-->\s*$`)

// agentCommand is the line of the agent block that gets free ports.
const agentCommand = "bin/ovi agent -dev"

// readyLine is the agent's log line the README tells the reader to wait for.
const readyLine = "leadership established"

// block is one fenced code block of the quick start.
type block struct {
	line  int // of the opening fence, 1-based
	agent bool
	code  string
}

// quickstartBlocks extracts the marked blocks of a README, in order. Each
// marker must be followed (after blank lines) by a ```bash or ```sh fence.
func quickstartBlocks(readme string) ([]block, error) {
	lines := strings.Split(readme, "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		m := quickstartMarker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j >= len(lines) || (strings.TrimSpace(lines[j]) != "```bash" && strings.TrimSpace(lines[j]) != "```sh") {
			return nil, fmt.Errorf("README.md:%d: quickstart marker not followed by a ```bash block", i+1)
		}
		b := block{line: j + 1, agent: m[1] != ""}
		k := j + 1
		for k < len(lines) && strings.TrimSpace(lines[k]) != "```" {
			b.code += lines[k] + "\n"
			k++
		}
		if k >= len(lines) {
			return nil, fmt.Errorf("README.md:%d: unterminated code block", j+1)
		}
		out = append(out, b)
		i = k
	}
	return out, nil
}

// TestReadmeQuickStart runs the quick start of README.md literally, on a
// fresh clone of this repository (what is committed, nothing else), the
// way a reader follows it: the `quickstart:agent` block in the background
// ("the first terminal"), then, once its output shows the line the README
// says to wait for, every `quickstart` block in order with `bash -e -o
// pipefail` in the clone's root. Any failing command fails the test. At the
// end the agent gets Ctrl-C (SIGINT) and must exit cleanly.
//
// Substitutions, only because the test shares its machine with others (the
// README's agent uses the default ports 7400-7402):
//   - `bin/ovi agent -dev` in the agent block gets `--http-port H
//     --raft-port R --gossip-port G` appended, with free ports;
//   - the blocks after the agent block run with OVI_ADDR=127.0.0.1:H in
//     their environment: what the README's default address means.
//
// Blocks before the agent block (`make demo`) run unchanged; the demo picks
// free ports itself.
func TestReadmeQuickStart(t *testing.T) {
	clone := filepath.Join(t.TempDir(), "ovi")
	if out, err := exec.Command("git", "clone", "--quiet", repoRoot(t), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	blocks, err := quickstartBlocks(readFile(t, filepath.Join(clone, "README.md")))
	if err != nil {
		t.Fatal(err)
	}
	agents, shells := 0, 0
	for _, b := range blocks {
		if b.agent {
			agents++
		} else {
			shells++
		}
	}
	if agents != 1 || shells < 3 {
		t.Fatalf("README.md quick start: want one quickstart:agent block and at least 3 quickstart blocks, found %d and %d", agents, shells)
	}
	var env []string
	for _, b := range blocks {
		if b.agent {
			http := startReadmeAgent(t, clone, b)
			env = []string{"OVI_ADDR=127.0.0.1:" + strconv.Itoa(http)}
			continue
		}
		runBlock(t, clone, b, env)
	}
}

// runBlock runs one block with bash -e -o pipefail in dir.
func runBlock(t *testing.T, dir string, b block, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", b.code)
	cmd.Dir, cmd.Env = dir, hermeticEnv(env...)
	begin := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README.md:%d: block failed (%v):\n%s\n--- output ---\n%s", b.line, err, b.code, out)
	}
	t.Logf("README.md:%d: ok in %s:\n%s%s", b.line, time.Since(begin).Round(time.Millisecond), b.code, clustertest.Tail(string(out), 3000))
}

// startReadmeAgent runs the agent block in the background with free ports,
// waits for readyLine in its output, and arranges Ctrl-C at the end of the
// test (which must stop it cleanly). It returns the HTTP port.
func startReadmeAgent(t *testing.T, dir string, b block) int {
	t.Helper()
	if strings.Count(b.code, agentCommand) != 1 {
		t.Fatalf("README.md:%d: the agent block must run %q once:\n%s", b.line, agentCommand, b.code)
	}
	http := clustertest.FreePort(t)
	ports := fmt.Sprintf(" --http-port %d --raft-port %d --gossip-port %d", http, clustertest.FreePort(t), clustertest.FreePort(t))
	code := strings.Replace(b.code, agentCommand, agentCommand+ports, 1)
	logPath := filepath.Join(t.TempDir(), "agent.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", code)
	cmd.Dir, cmd.Env = dir, hermeticEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C goes to the whole group
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); _ = logf.Close() }()
	t.Cleanup(func() { stopReadmeAgent(t, cmd, exited, logPath) })
	clustertest.WaitForSeen(t, fmt.Sprintf("%q in the agent's output (README.md:%d)", readyLine, b.line), 5*time.Minute, func() (bool, string) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("README.md:%d: the agent block exited (%v):\n%s", b.line, err, clustertest.Tail(readFile(t, logPath), 4000))
		default:
		}
		return hasLine(logPath, readyLine), "not yet"
	})
	return http
}

// stopReadmeAgent sends Ctrl-C (SIGINT to the process group) and requires a
// clean exit within 30 s.
func stopReadmeAgent(t *testing.T, cmd *exec.Cmd, exited chan error, logPath string) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	var err error
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = errors.Join(errors.New("no exit within 30 s of Ctrl-C"), <-exited)
	}
	if err != nil {
		t.Errorf("the agent did not stop cleanly on Ctrl-C: %v\n%s", err, clustertest.Tail(readFile(t, logPath), 4000))
	}
}

// hasLine reports whether the file holds a line containing s.
func hasLine(path, s string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return true
		}
	}
	return false
}

func TestQuickstartBlocks(t *testing.T) {
	readme := "# x\n<!-- quickstart -->\n```bash\nmake demo\n```\ntext\n<!-- quickstart:agent -->\n\n```bash\nmake build\nbin/ovi agent -dev\n```\n```bash\nnot marked\n```\n"
	got, err := quickstartBlocks(readme)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].agent || got[0].code != "make demo\n" || !got[1].agent ||
		got[1].code != "make build\nbin/ovi agent -dev\n" || got[1].line != 9 {
		t.Fatalf("blocks = %+v", got)
	}
	for _, bad := range []string{"<!-- quickstart -->\ntext\n```bash\nx\n```\n", "<!-- quickstart -->\n```bash\nx\n"} {
		if _, err := quickstartBlocks(bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}
