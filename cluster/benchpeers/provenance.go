package benchpeers

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// Provenance is what a pasted table carries so it can be traced and run
// again: the exact command line and what each binary was built from.
type Provenance struct {
	Command string   // shell-quoted
	Builds  []string // "name: how it was built", one a binary
}

// Write writes the provenance lines after a table.
func (p Provenance) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Command: %s\n", p.Command)
	for _, s := range p.Builds {
		fmt.Fprintf(&b, "Build: %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// QuoteCommand writes args as one shell command line: a word with a
// character the shell would read otherwise is single-quoted.
func QuoteCommand(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = quoteWord(a)
	}
	return strings.Join(out, " ")
}

func quoteWord(a string) string {
	if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%") == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// Commit names the commit a Go binary was built from: its VCS stamp
// (vcs.revision, 12 digits, "-dirty" when vcs.modified) or, when it was
// built without one (-buildvcs=false), `git describe --always --dirty` of
// the checkout it lies in, said so.
func Commit(ctx context.Context, bin string) string {
	if info, err := buildinfo.ReadFile(bin); err == nil {
		if rev, ok := stampedCommit(info); ok {
			return rev + " (build info)"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	dir := filepath.Dir(bin)
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "describe", "--always", "--dirty").Output() //nolint:gosec // git of the binary's checkout
	if err != nil {
		return "unknown (no VCS stamp in the binary, and no git checkout around it)"
	}
	return fmt.Sprintf("%s (no VCS stamp in the binary: git describe --always --dirty in %s)", strings.TrimSpace(string(out)), dir)
}

// stampedCommit is a build's vcs.revision (12 digits, "-dirty" when
// vcs.modified), if it has one.
func stampedCommit(info *debug.BuildInfo) (string, bool) {
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "", false
	}
	rev = rev[:min(len(rev), 12)]
	if modified == "true" {
		rev += "-dirty"
	}
	return rev, true
}

// OviVersion is `ovi -o json version` of the binary: "0.1.0-dev go1.26.8
// linux/amd64", or the error's text.
func OviVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-o", "json", "version").Output() //nolint:gosec // the ovi binary under test
	if err != nil {
		return fmt.Sprintf("ovi version: %v", err)
	}
	var v struct {
		Version   string `json:"version"`
		GoVersion string `json:"go_version"`
		Platform  string `json:"platform"`
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&v); err != nil {
		return fmt.Sprintf("ovi version: %q: %v", out, err)
	}
	return strings.Join([]string{v.Version, v.GoVersion, v.Platform}, " ")
}

// ModuleVersion is the main module and version a Go binary was built
// from ("go.etcd.io/etcd/server/v3 v3.7.1"), or why it is not known.
func ModuleVersion(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return info.Main.Path + " " + info.Main.Version + " " + info.GoVersion
}
