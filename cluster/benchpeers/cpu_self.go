package benchpeers

import (
	"fmt"
	"syscall"
	"time"
)

// SelfCPU is the CPU time this process has used so far, plus that of its
// children that have ended and been waited for (getrusage RUSAGE_SELF +
// RUSAGE_CHILDREN, microsecond granular): the load client's CPU, whether
// the load runs in this process (Ovi) or in a tool it runs (etcd's
// benchmark).
func SelfCPU() (time.Duration, error) {
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return 0, fmt.Errorf("benchpeers: getrusage: %w", err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err != nil {
		return 0, fmt.Errorf("benchpeers: getrusage: %w", err)
	}
	return rusageCPU(&self) + rusageCPU(&children), nil
}

func rusageCPU(r *syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
