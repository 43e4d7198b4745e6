//go:build unix

package simtest

import (
	"os/exec"
	"syscall"
)

// inGroup starts cmd in a process group of its own, and has its context
// kill the whole group: what the test binary started (a server, a
// program it built) dies with it at the bound, rather than run on and
// hold its output open.
func inGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
