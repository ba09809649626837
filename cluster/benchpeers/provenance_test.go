package benchpeers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestQuoteCommand(t *testing.T) {
	got := QuoteCommand([]string{".tools/bench-peers", "-ovi", "bin/ovi", "-ovi-flags", "--store-sync-interval 100ms", "-x", "it's", ""})
	want := `.tools/bench-peers -ovi bin/ovi -ovi-flags '--store-sync-interval 100ms' -x 'it'\''s' ''`
	if got != want {
		t.Fatalf("QuoteCommand = %s\nwant          %s", got, want)
	}
}

func TestStampedCommit(t *testing.T) {
	info := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "d59bafc0123456789abcdef0123456789abcdef0"}, {Key: "vcs.modified", Value: "true"}}}
	if rev, ok := stampedCommit(info); !ok || rev != "d59bafc01234-dirty" {
		t.Fatalf("stampedCommit = %q, %v", rev, ok)
	}
	info.Settings[2].Value = "false"
	if rev, _ := stampedCommit(info); rev != "d59bafc01234" {
		t.Fatalf("clean: %q", rev)
	}
	if _, ok := stampedCommit(&debug.BuildInfo{}); ok {
		t.Fatal("a build without VCS settings has a commit")
	}
}

// A binary without a VCS stamp is named by git describe of the checkout
// it lies in, dirty when the checkout is.
func TestCommitFallsBackToGitDescribe(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed: ", err)
	}
	repo := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(repo, "a.txt"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	git("add", "a.txt")
	git("commit", "-qm", "a")
	head := git("rev-parse", "--short", "HEAD")
	if err := os.MkdirAll(filepath.Join(repo, "bin"), 0o700); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(repo, "bin", "ovi")
	if err := os.WriteFile(bin, []byte("not a Go binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got := Commit(ctx, bin); !strings.HasPrefix(got, head+" (no VCS stamp") {
		t.Fatalf("Commit = %q, want %s …", got, head)
	}
	if err := os.WriteFile(filepath.Join(repo, "a.txt"), []byte("b"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Commit(ctx, bin); !strings.HasPrefix(got, head+"-dirty ") {
		t.Fatalf("Commit of a dirty checkout = %q", got)
	}
	if got := Commit(ctx, filepath.Join(t.TempDir(), "ovi")); !strings.HasPrefix(got, "unknown") {
		t.Fatalf("Commit outside a checkout = %q", got)
	}
}
