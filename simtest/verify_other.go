//go:build !unix

package simtest

import "os/exec"

// inGroup leaves cmd as it is: the platform has no process group for it,
// and its context kills cmd's process alone.
func inGroup(*exec.Cmd) {}
