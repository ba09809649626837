package benchpeers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc (USER_HZ): 100 ticks a
// second on every Linux architecture's user ABI, whatever the kernel's HZ.
const userHZ = 100

// ProcFS reads CPU accounting from a proc file system mounted at Root
// ("" is /proc; tests point it at fake files in testdata).
type ProcFS struct{ Root string }

func (fs ProcFS) path(elem ...string) string {
	root := fs.Root
	if root == "" {
		root = "/proc"
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// ProcessCPU is the CPU time process pid has used so far, all its threads
// (dead ones included): utime + stime of /proc/PID/stat, 10 ms granular.
func (fs ProcFS) ProcessCPU(pid int) (time.Duration, error) {
	p := fs.path(strconv.Itoa(pid), "stat")
	b, err := os.ReadFile(p) //nolint:gosec // a /proc file
	if err != nil {
		return 0, fmt.Errorf("benchpeers: cpu of pid %d: %w", pid, err)
	}
	d, err := parseProcessStat(b)
	if err != nil {
		return 0, fmt.Errorf("benchpeers: %s: %w", p, err)
	}
	return d, nil
}

// parseProcessStat reads utime and stime (fields 14 and 15) of a
// /proc/PID/stat line. The command name (field 2) is in parentheses and
// may itself hold spaces and parentheses: the fields are counted from the
// last ')'.
func parseProcessStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name in %q", firstLine(b))
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // state (field 3) … stime (field 15)
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("utime/stime %q: %w", s, err)
		}
		ticks += v
	}
	return ticksToDuration(ticks), nil
}

func ticksToDuration(ticks uint64) time.Duration {
	return time.Duration(ticks) * (time.Second / userHZ)
}

// MachineCPU is the first line of /proc/stat: the machine's CPU time
// since boot, in ticks, summed over the CPUs.
type MachineCPU struct {
	Total  uint64 // user nice system idle iowait irq softirq steal (guest is inside user)
	Idle   uint64
	IOWait uint64
}

// Machine reads /proc/stat's "cpu" line.
func (fs ProcFS) Machine() (MachineCPU, error) {
	p := fs.path("stat")
	b, err := os.ReadFile(p) //nolint:gosec // a /proc file
	if err != nil {
		return MachineCPU{}, fmt.Errorf("benchpeers: machine cpu: %w", err)
	}
	m, err := parseMachineStat(b)
	if err != nil {
		return MachineCPU{}, fmt.Errorf("benchpeers: %s: %w", p, err)
	}
	return m, nil
}

func parseMachineStat(b []byte) (MachineCPU, error) {
	f := strings.Fields(firstLine(b))
	if len(f) < 6 || f[0] != "cpu" {
		return MachineCPU{}, fmt.Errorf("first line %q: want \"cpu user nice system idle iowait …\"", firstLine(b))
	}
	var m MachineCPU
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("cpu field %d %q: %w", i+1, s, err)
		}
		m.Total += v
		switch i {
		case 3:
			m.Idle = v
		case 4:
			m.IOWait = v
		}
	}
	return m, nil
}

// Idle is the share of the machine's CPU time that was idle and waiting
// for I/O (iowait) between two readings, in percent.
func Idle(before, after MachineCPU) (idle, iowait float64) {
	total := float64(after.Total) - float64(before.Total)
	if total <= 0 {
		return 0, 0
	}
	return 100 * (float64(after.Idle) - float64(before.Idle)) / total,
		100 * (float64(after.IOWait) - float64(before.IOWait)) / total
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
