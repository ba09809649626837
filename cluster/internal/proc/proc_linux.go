package proc

import "syscall"

// dieWithParent makes the kernel kill the child when its parent exits.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
