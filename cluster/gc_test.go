package cluster

import (
	"bytes"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestPlanGCDefaultsAndOperatorOverrides: without GOGC/GOMEMLIMIT the
// agent runs GOGC=400 with a soft limit of half the memory; an operator's
// GOGC or GOMEMLIMIT is kept as the runtime read it, each independently.
func TestPlanGCDefaultsAndOperatorOverrides(t *testing.T) {
	const gib = int64(1) << 30
	current := debug.SetMemoryLimit(-1)
	cases := []struct {
		name   string
		env    map[string]string
		memory int64
		want   GCPolicy
	}{
		{"defaults", nil, 4 * gib,
			GCPolicy{Percent: 400, PercentFrom: GCFromDefault, MemoryLimit: 2 * gib, MemoryLimitOf: 4 * gib, LimitFrom: GCFromDefault}},
		{"memory unknown: no limit", nil, 0,
			GCPolicy{Percent: 400, PercentFrom: GCFromDefault, MemoryLimit: math.MaxInt64, LimitFrom: GCFromUnknown}},
		{"operator GOGC, default limit", map[string]string{"GOGC": "150"}, 4 * gib,
			GCPolicy{Percent: 150, PercentFrom: GCFromEnvironment, MemoryLimit: 2 * gib, MemoryLimitOf: 4 * gib, LimitFrom: GCFromDefault}},
		{"operator GOGC=off", map[string]string{"GOGC": "off"}, 4 * gib,
			GCPolicy{Percent: -1, PercentFrom: GCFromEnvironment, MemoryLimit: 2 * gib, MemoryLimitOf: 4 * gib, LimitFrom: GCFromDefault}},
		{"operator GOMEMLIMIT", map[string]string{"GOMEMLIMIT": "700MiB"}, 4 * gib,
			GCPolicy{Percent: 400, PercentFrom: GCFromDefault, MemoryLimit: current, LimitFrom: GCFromEnvironment}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PlanGC(envOf(c.env), c.memory); got != c.want {
				t.Errorf("PlanGC = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestGCPolicyApplySetsOnlyWhatTheOperatorLeftOpen: Apply sets the
// runtime's GC percent and memory limit from the defaults, leaves an
// operator's alone, and logs the policy in one line.
func TestGCPolicyApplySetsOnlyWhatTheOperatorLeftOpen(t *testing.T) {
	prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) })
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	PlanGC(envOf(nil), 3<<30).Apply(logger)
	if got := debug.SetGCPercent(100); got != DefaultGCPercent {
		t.Errorf("GC percent %d after Apply, want %d", got, DefaultGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != 3<<29 {
		t.Errorf("memory limit %d after Apply, want %d", got, int64(3<<29))
	}
	if !strings.Contains(logs.String(), "gogc=400 gogc_from=default memory_limit=\"1536 MiB\" memory_limit_from=default of_memory_mib=3072") {
		t.Errorf("log line %q does not state the policy", logs.String())
	}

	debug.SetMemoryLimit(prevLimit)
	PlanGC(envOf(map[string]string{"GOGC": "250", "GOMEMLIMIT": "1GiB"}), 3<<30).Apply(logger)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d: Apply changed the operator's GOGC", got)
	}
	if got := debug.SetMemoryLimit(-1); got != prevLimit {
		t.Errorf("memory limit %d: Apply changed the operator's GOMEMLIMIT (was %d)", got, prevLimit)
	}
}

// TestAvailableMemoryTakesTheSmallestLimit reads a fake /proc and /sys:
// the cgroup v2 limit when below MemTotal, MemTotal when the cgroup says
// "max", cgroup v1's "unlimited" ignored, 0 when nothing can be read.
func TestAvailableMemoryTakesTheSmallestLimit(t *testing.T) {
	write := func(root, name, text string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	meminfo := "MemFree:         1000 kB\nMemTotal:        8388608 kB\nBuffers:  1 kB\n"
	cases := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"cgroup v2 limit", map[string]string{"proc/meminfo": meminfo, "sys/fs/cgroup/memory.max": "536870912\n"}, 512 << 20},
		{"cgroup v2 max", map[string]string{"proc/meminfo": meminfo, "sys/fs/cgroup/memory.max": "max\n"}, 8 << 30},
		{"cgroup v1 unlimited", map[string]string{"proc/meminfo": meminfo,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 8 << 30},
		{"cgroup v1 limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824"}, 1 << 30},
		{"nothing readable", map[string]string{"proc/meminfo": "garbage\n"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for name, text := range c.files {
				write(root, name, text)
			}
			if got := AvailableMemory(root); got != c.want {
				t.Errorf("AvailableMemory = %d, want %d", got, c.want)
			}
		})
	}
}
