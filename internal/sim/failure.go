package sim

import (
	"fmt"
	"strings"
	"time"
)

// Kind classifies why a run failed.
type Kind int

// The kinds of failure.
const (
	Panic         Kind = iota + 1 // a task panicked
	Stopped                       // a task called FailNow
	Goexit                        // a task called runtime.Goexit (t.FailNow on a testing.T)
	Deadlock                      // nothing can run and the root task has not returned
	Livelock                      // too many steps without simulated time moving
	TimeBudget                    // simulated time passed its budget
	Escaped                       // a task blocked outside the simulation
	RootError                     // the root task returned an error
	Stalled                       // too many steps and events while simulated time crawls
	SwallowedKill                 // a killed task recovered the kill and went on
	Abandoned                     // the watchdog gave the run up (a result nobody reads)
	Busy                          // a task ran for too long in real time without returning
	Stray                         // a goroutine the simulation does not run called into it
	WallDeadline                  // a task met a deadline on the wall clock (refuseWallDeadline)
	Overtime                      // the run had not ended by Config.StopBy (go test's -timeout was near)
	// Unseen: a task did not return to the simulation, and no stack
	// could be taken to tell whether it waits or runs, for a program's
	// code ran elsewhere in the test binary (stopWorld).
	Unseen
	// Limit: simulated time would pass the limit World.SetLimit set
	// (a workload's Run still going long after its chaos phase).
	Limit
)

var kindNames = [...]string{
	Panic:         "panic",
	Stopped:       "stopped",
	Goexit:        "goexit",
	Deadlock:      "deadlock",
	Livelock:      "livelock",
	TimeBudget:    "time budget exceeded",
	Escaped:       "blocked outside the simulation",
	RootError:     "error",
	Stalled:       "no progress",
	SwallowedKill: "kill recovered",
	Abandoned:     "abandoned",
	Busy:          "busy",
	Stray:         "stray goroutine",
	WallDeadline:  "wall-clock deadline",
	Overtime:      "out of wall time",
	Unseen:        "stack not taken",
	Limit:         "limit reached",
}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Failure describes why a run failed. It is the error in Result.Err.
type Failure struct {
	Kind  Kind
	Task  string        // the task at fault, if one is
	At    time.Duration // simulated time since the start of the run
	Msg   string        // what happened and what to do about it
	Stack string        // where the task was, if known
	Err   error         // the underlying error, for RootError and error panics
	// Misuse marks a mistake of the test's, not a bug of the code under
	// test (a synctest.Wait in a task): a seed that meets it is no seed
	// to keep and run first.
	Misuse bool
}

// SchedulerTask is a Failure's Task when the code at fault is none of a
// task's: what the scheduler runs between steps (an event's callback, an
// after-step hook).
const SchedulerTask = "(the scheduler)"

func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %v", f.Kind, f.At)
	switch f.Task {
	case "":
	case SchedulerTask:
		b.WriteString(" in the scheduler")
	default:
		fmt.Fprintf(&b, " in task %q", f.Task)
	}
	if f.Msg != "" {
		b.WriteString(": ")
		b.WriteString(f.Msg)
	}
	return b.String()
}

// Unwrap returns the task's error, if the failure carries one.
func (f *Failure) Unwrap() error { return f.Err }
