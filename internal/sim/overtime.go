package sim

import (
	"fmt"
	"time"
)

// overtimeGrace is how long RunGuarded waits, once Config.StopBy has
// passed, for the running task to come back to the scheduler so that the
// run stops between two steps. A task that does not is given up (the
// watchdog's report of where it is), since go test's -timeout, a little
// later, would end the test binary with no report at all.
const overtimeGrace = 200 * time.Millisecond

// halted is the step loop's check of halt, out of line: the runner asked
// the run to stop. A run the watchdog gave up unwinds (givenUp); one past
// Config.StopBy fails with an Overtime failure that names last, the task
// whose step just ended (or SchedulerTask), and ends at the loop's next
// turn as any failure does. It reports true in both cases.
//
//go:noinline
func (w *World) halted(last string) bool {
	if w.abandoned.Load() {
		w.givenUp(nil)
		return true
	}
	w.fail(&Failure{Kind: Overtime, Task: last, Msg: w.overtimeMsg(time.Since(w.wallStart), time.Duration(w.now), w.steps, w.events,
		"it was stopped between two steps, after one of "+taskWords(last), "Every task, and where it waits:\n"+w.describeTasks())})
	return true
}

// taskWords names task for a sentence: task "x", or the scheduler's own
// code.
func taskWords(task string) string {
	if task == SchedulerTask {
		return "code the scheduler runs between steps (an Invariant's or an Eventually's check, an event's callback)"
	}
	return fmt.Sprintf("task %q", task)
}

// overtimeMsg is the message of an Overtime failure of a run that ran for
// wall of real time and reached simulated time at, after steps steps and
// events events; how says how it stopped, and detail what its tasks were
// doing.
func (w *World) overtimeMsg(wall, at time.Duration, steps, events uint64, how, detail string) string {
	return fmt.Sprintf("the seed ran for %v of wall time (%v of simulated time, %d steps and %d events) without finishing before go test's -timeout, "+
		"which would end the test binary with no report; %s. A seed that runs this long usually loops: "+
		"code that keeps writing to a disk with no capacity and ignores the errors (chaos.Storage.Capacity is 0, no limit, by default), "+
		"a retry loop with no end, a timer that re-arms itself; or its workload is too long for the timeout. "+
		"Give each seed less simulated time (the TimeBudget option; this seed's is %s), bound what loops, or raise -timeout. %s",
		wall.Round(time.Millisecond), at, steps, events, how, w.budgetWords(), detail)
}

// budgetWords is the time budget, for a message.
func (w *World) budgetWords() string {
	if w.cfg.TimeBudget <= 0 {
		return "none"
	}
	return w.cfg.TimeBudget.String()
}

// overdue turns the result of a run that Config.StopBy stopped and whose
// running task did not come back within overtimeGrace (the watchdog's
// report, escaped's) into an Overtime failure that keeps what the
// watchdog saw. It runs on the watcher's goroutine.
func (w *World) overdue(r Result) Result {
	f, _ := r.Err.(*Failure)
	if f == nil {
		return r
	}
	how := "it was to stop between two steps, but " + taskWords(f.Task) + " did not come back to the scheduler"
	f.Msg = w.overtimeMsg(time.Since(w.wallStart), r.SimTime, r.Steps, r.Events, how, "What the watchdog saw: "+f.Msg)
	f.Kind = Overtime
	return r
}
