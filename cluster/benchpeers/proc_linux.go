package benchpeers

import "syscall"

// dieWithParent makes the kernel kill a server process when the harness
// exits, however it exits.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
