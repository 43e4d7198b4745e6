package simtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// tracerPID returns the id of the process that traces this one, such as
// a debugger, or 0: Linux tells it in /proc/self/status, and elsewhere it
// is not known.
func tracerPID() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return tracerIn(string(b))
}

// tracerIn reads the TracerPid line of a /proc/<pid>/status file.
func tracerIn(status string) int {
	for line := range strings.SplitSeq(status, "\n") {
		if v, ok := strings.CutPrefix(line, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// offUnderDebugger turns the default watchdog off when a debugger, process
// tracer, traces the test (tracerPID), and says so: a task held at a
// breakpoint, or stepped through line by line, does not come back to the
// scheduler for as long as the user looks, and would fail the seed as
// blocked outside the simulation, which changes its replay. The default
// naming of slow seeds goes off with it, since every seed the user stops
// in is slow, and so does the bound on an instant's wall time
// (MaxWallPerInstant), which a breakpoint's pause would count. A watchdog or slow seed set by an option or a flag is left
// as it is. And each task's goroutine is labelled with the task's name,
// which a debugger's list of goroutines shows.
//
// It returns what to log, "" when nothing changed: the caller logs it, at
// the test's line.
func (c *config) offUnderDebugger(tracer int) string {
	if tracer == 0 {
		return ""
	}
	c.nameTasks = true
	if !c.slowSet {
		c.slow = 0
	}
	if !c.maxStillSet {
		c.maxStill = 0 // a breakpoint holds the clock still too
	}
	if c.watchdog == 0 || c.watchdogSet {
		return ""
	}
	c.watchdog = 0
	return fmt.Sprintf("simtest: a debugger traces this test (process %d): the watchdog is off, so that a task held at a breakpoint is not taken for one blocked outside the simulation (-simwatchdog=%v turns it on), and each task's goroutine carries its name in the label moonpool-name", tracer, DefaultWatchdog)
}
