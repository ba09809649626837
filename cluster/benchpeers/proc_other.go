//go:build !linux

package benchpeers

import "syscall"

// dieWithParent: only Linux has a parent-death signal; elsewhere an
// interrupted run may leave its servers running.
func dieWithParent() *syscall.SysProcAttr { return nil }
