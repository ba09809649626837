//go:build !linux

package proc

import "syscall"

// dieWithParent: only Linux has a parent-death signal; elsewhere an
// interrupted run may leave its processes running.
func dieWithParent() *syscall.SysProcAttr { return nil }
