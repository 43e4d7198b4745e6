package sim

import (
	"fmt"
	"strings"
	"time"
)

// overtimeGrace is how long RunGuarded waits, once Config.StopBy has
// passed, for the running task to come back to the scheduler so that the
// run stops between two steps. A task that does not is given up (the
// watchdog's report of where it is), since go test's -timeout, a little
// later, would end the test binary with no report at all.
const overtimeGrace = 200 * time.Millisecond

// The bits of World.halt.
const (
	haltStop = 1 << iota // the run stops at its next step
	haltAsk              // the step loop answers whether a task waits for a later instant
)

// The answers to haltAsk, in World.stillAnswer.
const (
	stillNone  = 1 + iota // no event of a later instant has stayed live since the last ask
	stillWaits            // a sleep, timer or deadline waits for the clock to move
)

// stillSteps is how many steps and events must run between two asks for
// an event live at both to count as a wait, unless a whole bound of wall
// time has passed since the first: the asks come a tick of wall time
// apart, and a run slowed down (the race detector, a loaded machine, a
// pause of its goroutine) may take only a few steps in a tick, during
// which a request's deadline is live throughout. A run whose steps are
// slow enough that stillSteps of them take longer than the bound still
// stops, a bound later.
const stillSteps = 4096

// waitedLater reports whether an event of a later instant that was live
// at the last ask, at this instant, is live still, stillSteps steps and
// events or a bound of wall time later: a sleep, a timer or a deadline
// that has waited for the clock to move since then. A live one alone
// would not tell: a ping-pong at one instant sets a deadline on every
// request and cancels it at the reply, and one is live at almost every
// step. The events live now are kept for the next ask.
func (w *World) waitedLater() bool {
	n := w.steps + w.events
	if len(w.stillLive) > 0 && w.stillNow == w.now {
		if n-w.stillMark < stillSteps && time.Since(w.stillSince) < w.cfg.MaxWallPerInstant {
			return false // too soon to tell: the same events are looked at again
		}
		for _, s := range w.stillLive {
			if s.e.queued && !s.stale() {
				return true
			}
		}
	}
	clear(w.stillLive)
	w.stillLive = w.queue.laterLive(w.stillLive[:0])
	w.stillMark, w.stillNow, w.stillSince = n, w.now, time.Now()
	return false
}

// halted is the step loop's check of halt, out of line. To an ask alone
// it answers whether a live event waits at a later instant, which only
// the step loop can tell (the queue keeps cancelled events until it comes
// to them), and the run goes on: it reports false. Otherwise the runner
// asked the run to stop. A run the watchdog gave up unwinds (givenUp); one
// past Config.StopBy, or standing still past Config.MaxWallPerInstant,
// fails with an Overtime failure that names last, the task whose step
// just ended (or SchedulerTask), and ends at the loop's next turn as any
// failure does. It reports true in both cases.
//
//go:noinline
func (w *World) halted(last string) bool {
	if w.halt.Load() == haltAsk {
		answer := uint32(stillNone)
		if w.waitedLater() {
			answer = stillWaits
			// A stop follows this answer. The devices' words are taken
			// now, on the world's goroutine, for a run whose task does
			// not come back at the stop, which the watcher fails.
			words := w.notes()
			w.stillWords.Store(&words)
		}
		// The answer is stored before the ask is cleared, so that a later
		// ask, made once it is, never finds this one's. A stop asked for
		// meanwhile is not lost: the swap fails, and the run stops.
		w.stillAnswer.Store(answer)
		if w.halt.CompareAndSwap(haltAsk, 0) {
			return false
		}
	}
	if w.abandoned.Load() {
		w.givenUp(nil)
		return true
	}
	how := "it was stopped between two steps, after one of " + taskWords(last)
	detail := "Every task, and where it waits:\n" + w.describeTasks()
	var msg string
	if w.stillFor.Load() > 0 {
		msg = w.stillMsg(time.Duration(w.now), how, w.notes(), detail)
	} else {
		msg = w.overtimeMsg(time.Since(w.wallStart), time.Duration(w.now), w.steps, w.events, how, w.notes(), detail)
	}
	w.fail(&Failure{Kind: Overtime, Task: last, Msg: msg})
	return true
}

// StillNote adds a device's words to the failure of a run that stood
// still at one instant for Config.MaxWallPerInstant, or ran out of wall
// time: note returns why the device may hold the clock still (a network
// with no latency), or "". It is called on the world's goroutine, when
// the run fails.
func (w *World) StillNote(note func() string) { w.stillNotes = append(w.stillNotes, note) }

// notes are the devices' StillNote words, each followed by a space.
func (w *World) notes() string {
	var b strings.Builder
	for _, note := range w.stillNotes {
		if s := note(); s != "" {
			b.WriteString(s)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// stillMsg is the message of an Overtime failure of a run whose simulated
// time stood still at at for Config.MaxWallPerInstant of wall time while
// its tasks ran; how says how it stopped, notes are the devices' words
// (notes, read on the world's goroutine only), and detail what its tasks
// were doing.
func (w *World) stillMsg(at time.Duration, how, notes, detail string) string {
	return fmt.Sprintf("simulated time stood still at %v for %v of wall time while tasks ran (%d steps and events at that instant) "+
		"and another waited for it to move, past the bound of %v (the MaxWallPerInstant option, or -simmaxwall); %s. Simulated time moves on only when no task can run, "+
		"so tasks that keep working without waiting on the clock hold it still: a loop that polls, a writer and a reader that keep data moving "+
		"while another task sleeps or waits for a deadline that never comes. %s"+
		"Make the loop wait on the simulated clock (a sleep, a timer, a read with a deadline), "+
		"or raise the bound if so long a workload at one instant is expected. %s",
		at, time.Duration(w.stillFor.Load()).Round(time.Millisecond), w.stillRan.Load(), w.cfg.MaxWallPerInstant, how, notes, detail)
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
// events events; how says how it stopped, notes are the devices' words
// (notes), and detail what its tasks were doing. A run whose clock moved
// and has a time budget is told how long the rest would take at the rate
// it ran: a long seed and a looping one both end here, and the figure
// tells them apart.
func (w *World) overtimeMsg(wall, at time.Duration, steps, events uint64, how, notes, detail string) string {
	why := "A seed that runs this long usually loops: "
	if need, ok := projected(wall, at, w.cfg.TimeBudget); ok {
		why = fmt.Sprintf("Its clock moved %v a wall second, so the rest of its time budget of %v would take about %v more: "+
			"if the workload is that long, the seed is long, not stuck; if not, it loops: ",
			rate(wall, at), w.cfg.TimeBudget, need)
	}
	return fmt.Sprintf("the seed ran for %v of wall time (%v of simulated time, %d steps and %d events) without finishing before go test's -timeout, "+
		"which would end the test binary with no report; %s. %s"+
		"code that keeps writing to a disk with no capacity and ignores the errors (chaos.Storage.Capacity is 0, no limit, by default), "+
		"a retry loop with no end, a timer that re-arms itself; or its workload is too long for the timeout. "+
		"Give each seed less simulated time (the TimeBudget option; this seed's is %s), bound what loops, or raise -timeout. %s%s",
		wall.Round(time.Millisecond), at, steps, events, how, why, w.budgetWords(), notes, detail)
}

// projected is the wall time a run that reached at in wall would take to
// reach budget at the same rate, rounded; false when the clock has not
// moved, the run has no budget, or has reached it.
func projected(wall, at, budget time.Duration) (time.Duration, bool) {
	if at <= 0 || wall <= 0 || budget <= at {
		return 0, false
	}
	rest := time.Duration(float64(wall) * float64(budget-at) / float64(at))
	return rest.Round(time.Second), true
}

// rate is how much simulated time a run that reached at in wall moved a
// wall second, rounded for a sentence.
func rate(wall, at time.Duration) time.Duration {
	r := time.Duration(float64(at) / wall.Seconds())
	switch {
	case r >= time.Minute:
		return r.Round(time.Second)
	case r >= time.Second:
		return r.Round(time.Millisecond)
	}
	return r.Round(time.Microsecond)
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
// watchdog saw, and for a run that stood still the devices' words as the
// step loop took them (stillWords). It runs on the watcher's goroutine.
func (w *World) overdue(r Result) Result {
	f, _ := r.Err.(*Failure)
	if f == nil {
		return r
	}
	if w.stillFor.Load() > 0 {
		how := "it was to stop between two steps, but " + taskWords(f.Task) + " did not come back to the scheduler"
		notes := ""
		if words := w.stillWords.Load(); words != nil {
			notes = *words
		}
		f.Msg = w.stillMsg(r.SimTime, how, notes, "What the watchdog saw: "+f.Msg)
	} else {
		// Not a seed that loops in simulated time: its task never
		// came back, and where it is is the finding.
		f.Msg = fmt.Sprintf("the seed ran for %v of wall time (%v of simulated time, %d steps and %d events) and was to stop before go test's -timeout, "+
			"which would end the test binary with no report, but %s did not come back to the scheduler to stop: %s. "+
			"A task that does not come back is blocked outside the simulation or computes without a step, not looping in simulated time: its stack is where",
			time.Since(w.wallStart).Round(time.Millisecond), r.SimTime, r.Steps, r.Events, taskWords(f.Task), f.Msg)
	}
	f.Kind = Overtime
	return r
}
