//go:build unix

package sim

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time this process has used, user and system: on
// a shared machine, a benchmark's wall time says more of its neighbours
// than of itself.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
