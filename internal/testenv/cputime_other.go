//go:build !unix

package testenv

import "time"

// CPUTime returns 0: the platform does not say how much CPU time the
// process has used.
func CPUTime() time.Duration { return 0 }
