package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/yairfalse/ovi/reconcile"
)

// Failpoints are a TEST-ONLY mechanism of the fault suite (cluster/faults):
// they make the agent kill itself with SIGKILL — a real kill -9, no
// deferred function, no flush — at a named point of the reconciler's
// execution. Nothing is armed unless one of these variables is set; without
// them the engine gets a nil hook and pays nothing.
//
//	OVI_FAILPOINT=after-intent      die at the first hit of after-intent
//	OVI_FAILPOINT=after-call:3      die at the third hit of after-call
//	OVI_FAILPOINT_FILE=/path/fp     the file holds the same form, read at every
//	                                hit, so a test can arm a running agent;
//	                                empty or missing = disarmed; hits count
//	                                from the last change of the file's content
//
// The names are reconcile.FailpointBeforeIntent, FailpointAfterIntent,
// FailpointAfterCall and FailpointAfterOutcome ("before-intent",
// "after-intent", "after-call", "after-outcome").
const (
	envFailpoint     = "OVI_FAILPOINT"
	envFailpointFile = "OVI_FAILPOINT_FILE"
)

// errFailpoint is wrapped by every bad failpoint specification.
var errFailpoint = errors.New("bad failpoint")

// failpointSpec is "name" or "name:N": fire at the N-th hit of name.
type failpointSpec struct {
	name string
	nth  int
}

// parseFailpoint reads "name[:N]"; the name must be one of the engine's.
func parseFailpoint(s string) (failpointSpec, error) {
	name, count, hasCount := strings.Cut(strings.TrimSpace(s), ":")
	spec := failpointSpec{name: name, nth: 1}
	switch name {
	case reconcile.FailpointBeforeIntent, reconcile.FailpointAfterIntent,
		reconcile.FailpointAfterCall, reconcile.FailpointAfterOutcome:
	default:
		return spec, fmt.Errorf("%w %q: unknown name (want %s, %s, %s or %s, optionally :N)", errFailpoint, s,
			reconcile.FailpointBeforeIntent, reconcile.FailpointAfterIntent,
			reconcile.FailpointAfterCall, reconcile.FailpointAfterOutcome)
	}
	if hasCount {
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 {
			return spec, fmt.Errorf("%w %q: the hit number after ':' must be a whole number from 1", errFailpoint, s)
		}
		spec.nth = n
	}
	return spec, nil
}

// failpoints is the armed hook: a static spec (OVI_FAILPOINT) and/or a
// spec file (OVI_FAILPOINT_FILE).
type failpoints struct {
	static failpointSpec // name "" = none
	file   string        // "" = none
	logger *slog.Logger
	kill   func() // SIGKILL to this process; replaced in unit tests

	mu       sync.Mutex
	hits     map[string]int // hits per name, for the static spec
	fileText string         // the file's content at the last hit
	fileHits int            // hits of the file's spec since its content changed
}

// failpointFromEnv returns the engine's failpoint hook, or nil when no
// failpoint variable is set.
func failpointFromEnv(getenv func(string) string, logger *slog.Logger) (func(string), error) {
	fp, err := newFailpoints(getenv, logger)
	if err != nil || fp == nil {
		return nil, err
	}
	logger.Warn("TEST-ONLY failpoints armed: this agent kills itself at a named point of execution",
		"failpoint", fp.static.name, "nth", fp.static.nth, "file", fp.file)
	return fp.hit, nil
}

// newFailpoints reads the variables; nil when neither is set.
func newFailpoints(getenv func(string) string, logger *slog.Logger) (*failpoints, error) {
	fp := &failpoints{file: getenv(envFailpointFile), logger: logger, kill: killSelf, hits: map[string]int{}}
	if s := getenv(envFailpoint); s != "" {
		spec, err := parseFailpoint(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envFailpoint, err)
		}
		fp.static = spec
	}
	if fp.static.name == "" && fp.file == "" {
		return nil, nil //nolint:nilnil // nothing armed is the normal, zero-cost case
	}
	return fp, nil
}

// hit is called by the engine at every failpoint.
func (f *failpoints) hit(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.static.name == name {
		f.hits[name]++
		if f.hits[name] == f.static.nth {
			f.fire(name, f.static.nth, envFailpoint)
		}
	}
	if f.file == "" {
		return
	}
	data, err := os.ReadFile(f.file)
	if err != nil {
		data = nil // missing: disarmed
	}
	if text := string(data); text != f.fileText {
		f.fileText, f.fileHits = text, 0
	}
	if strings.TrimSpace(f.fileText) == "" {
		return
	}
	spec, err := parseFailpoint(f.fileText)
	if err != nil {
		f.logger.Error("failpoint file ignored", "file", f.file, "error", err)
		return
	}
	if spec.name == name {
		f.fileHits++
		if f.fileHits == spec.nth {
			f.fire(name, spec.nth, f.file)
		}
	}
}

// fire logs (stderr is unbuffered, so the line survives) and kills.
func (f *failpoints) fire(name string, nth int, source string) {
	f.logger.Warn("failpoint reached: kill -9 of this process", "failpoint", name, "hit", nth, "armed_by", source)
	f.kill()
}

// killSelf sends SIGKILL to this process: it ends here, like kill -9.
func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // never returns: the signal is not catchable
}
