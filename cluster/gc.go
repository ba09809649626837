package cluster

import (
	"bufio"
	"bytes"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// The agent's garbage collector policy (docs/operations.md "Memory and
// garbage collection"). Under write load an agent allocates mostly short
// lived garbage (bbolt materialises every page a commit dirties, the HTTP
// and Raft paths their requests), so with Go's default GOGC=100 the
// collector and its allocation assists took ~25 % of a follower's CPU at 64
// clients; GOGC=400 lifted the three-node rate by ~29 % in the same
// benchmark (docs/benchmarks.md "GC policy"). A higher GOGC lets the heap
// grow to five times what is live between collections, so a soft memory
// limit guards it: when the heap nears the limit the runtime collects
// sooner, whatever GOGC says.
const (
	// DefaultGCPercent is the agent's GOGC unless the operator sets one.
	DefaultGCPercent = 400
	// gcMemoryShare: the soft limit is this fraction of the memory the
	// process may use (its cgroup limit, else the machine's), leaving the
	// rest to the page cache that holds the store's and the log's files.
	gcMemoryShare = 0.5
)

// Where a GC setting came from.
const (
	GCFromDefault     = "default"    // the agent's own
	GCFromEnvironment = "env"        // GOGC or GOMEMLIMIT, set by the operator
	GCFromUnknown     = "no-limit"   // no memory limit: the memory available is unknown
	envGOGC           = "GOGC"       // Go's variable, honoured as is
	envGOMEMLIMIT     = "GOMEMLIMIT" // Go's variable, honoured as is
)

// GCPolicy is the collector setting an agent runs with.
type GCPolicy struct {
	Percent       int    // GOGC in force; -1 is off
	PercentFrom   string // GCFromDefault or GCFromEnvironment
	MemoryLimit   int64  // soft limit in bytes; math.MaxInt64 is none
	MemoryLimitOf int64  // the memory the limit is a share of (0: unknown or not ours)
	LimitFrom     string // GCFromDefault, GCFromEnvironment or GCFromUnknown
}

// PlanGC decides the policy: an operator's GOGC or GOMEMLIMIT (Go's own
// variables, which the runtime has already applied) is kept as it is;
// otherwise GOGC is DefaultGCPercent and the soft limit is half of memory
// (the bytes the process may use; 0 when unknown, then there is no limit).
func PlanGC(getenv func(string) string, memory int64) GCPolicy {
	p := GCPolicy{Percent: DefaultGCPercent, PercentFrom: GCFromDefault,
		MemoryLimit: math.MaxInt64, LimitFrom: GCFromUnknown}
	if v := strings.TrimSpace(getenv(envGOGC)); v != "" {
		p.PercentFrom, p.Percent = GCFromEnvironment, envPercent(v)
	}
	switch {
	case strings.TrimSpace(getenv(envGOMEMLIMIT)) != "":
		p.LimitFrom, p.MemoryLimit = GCFromEnvironment, debug.SetMemoryLimit(-1)
	case memory > 0:
		p.LimitFrom, p.MemoryLimitOf = GCFromDefault, memory
		p.MemoryLimit = int64(float64(memory) * gcMemoryShare)
	}
	return p
}

// envPercent is GOGC as the runtime reads it: "off" is -1; a value it
// cannot parse leaves the default of 100.
func envPercent(v string) int {
	if v == "off" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 100
	}
	return n
}

// Apply sets the runtime to p, leaving alone what the operator set, and
// logs the policy. It changes process-wide settings: only the agent's main
// (cmd/ovi) calls it, never a library or a test running agents in process.
func (p GCPolicy) Apply(logger *slog.Logger) {
	if p.PercentFrom == GCFromDefault {
		debug.SetGCPercent(p.Percent)
	}
	if p.LimitFrom == GCFromDefault {
		debug.SetMemoryLimit(p.MemoryLimit)
	}
	limit := "none"
	if p.MemoryLimit != math.MaxInt64 {
		limit = strconv.FormatInt(p.MemoryLimit>>20, 10) + " MiB"
	}
	logger.Info("garbage collector policy", "gogc", p.Percent, "gogc_from", p.PercentFrom,
		"memory_limit", limit, "memory_limit_from", p.LimitFrom, "of_memory_mib", p.MemoryLimitOf>>20)
}

// ApplyGCPolicy plans the policy from the environment and the memory this
// process may use, and applies it.
func ApplyGCPolicy(getenv func(string) string, logger *slog.Logger) GCPolicy {
	p := PlanGC(getenv, AvailableMemory("/"))
	p.Apply(logger)
	return p
}

// AvailableMemory is the memory a process may use on the Linux system
// rooted at root ("/" in production): the smallest of its cgroup v2
// (memory.max) or v1 (memory.limit_in_bytes) limit and the machine's
// MemTotal; 0 when none can be read.
func AvailableMemory(root string) int64 {
	best := meminfoTotal(filepath.Join(root, "proc/meminfo"))
	for _, f := range []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if n := cgroupLimit(filepath.Join(root, f)); n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	return best
}

// cgroupLimit reads a cgroup memory limit file: bytes, or "max" (none, 0).
func cgroupLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil || n <= 0 || n >= math.MaxInt64/2 { // "max", or cgroup v1's "unlimited" (~2^63)
		return 0
	}
	return n
}

// meminfoTotal reads MemTotal (kB) from /proc/meminfo, in bytes.
func meminfoTotal(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb <= 0 {
			return 0
		}
		return kb << 10
	}
	return 0
}
