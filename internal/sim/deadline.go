package sim

import (
	"context"
	"fmt"
	"time"
)

// SimDeadline is the key under which a deadline context made by the Time
// provider answers Value with itself, so that a report can tell the
// simulation's deadlines from the wall clock's. A context of another
// package that reports a deadline the world keeps (a host's clock, which
// reports it in the host's time) answers it too, when the deadline it
// reports is its own.
type SimDeadline struct{}

// A LocalDeadline is a context whose deadline the world keeps but which
// reports it on another clock (a host's, which runs ahead of or behind
// simulated time), and which answers SimDeadline with itself when that
// deadline is its own. WorldDeadline returns the simulated instant at
// which the world ends it: the world compares that, not the deadline it
// reports, with the deadlines it sets under it.
type LocalDeadline interface {
	context.Context
	WorldDeadline() time.Time
}

// WorldDeadline returns the simulated instant at which the world ends ctx
// by its deadline, and whether ctx has one: the deadline ctx reports,
// unless that is a LocalDeadline's, reported on another clock. A deadline
// on the wall clock (package context's) comes back as ctx reports it.
func WorldDeadline(ctx context.Context) (time.Time, bool) {
	d, ok := ctx.Deadline()
	if !ok {
		return d, false
	}
	return worldDeadline(ctx, d), true
}

// worldDeadline is WorldDeadline for ctx, whose deadline is d.
func worldDeadline(ctx context.Context, d time.Time) time.Time {
	if c, ok := ctx.(*simContext); ok && c.ownDeadline {
		return d // the common case, and one the world made
	}
	if l, ok := DeadlineOwner(ctx, d).(LocalDeadline); ok {
		return l.WorldDeadline()
	}
	return d
}

// DeadlineOwner returns the context the world keeps that made d, ctx's
// deadline: the nearest that answers SimDeadline, if its deadline is d.
// It returns nil when d is on the wall clock (package context's), which
// the world does not keep.
func DeadlineOwner(ctx context.Context, d time.Time) context.Context {
	if s, _ := ctx.Value(SimDeadline{}).(context.Context); s != nil {
		if sd, _ := s.Deadline(); sd.Equal(d) {
			return s
		}
	}
	return nil
}

func (c *deadlineCtx) Value(key any) any {
	if key == (SimDeadline{}) {
		return c
	}
	return c.Context.Value(key)
}

// wallDeadline reports the deadline of ctx when the simulation did not make
// it: a context.WithTimeout or WithDeadline of package context, whose timer
// runs on the wall clock. Simulated time never reaches it, and a task that
// waits for it waits for real time that the simulation does not spend.
func wallDeadline(ctx context.Context) (time.Time, bool) {
	if ctx == nil {
		return time.Time{}, false
	}
	d, ok := ctx.Deadline()
	if !ok {
		return d, false
	}
	return d, DeadlineOwner(ctx, d) == nil
}

// refuseWallDeadline fails the run, naming call and the fix, when ctx has
// a deadline on the wall clock (wallDeadline), and ends the running task
// as FailNow does. Simulated time does not keep pace with the wall
// clock: a wait under such a deadline would end by something else, or
// never, or at once, and the seed would pass or deadlock as though the
// code had set another deadline than production's. It is asked of
// contexts the simulation does not own (parentOf), the first time a
// task meets each; call names what met it, or task the task it started.
func (w *World) refuseWallDeadline(ctx context.Context, call, task string) {
	d, ok := wallDeadline(ctx)
	if !ok {
		return
	}
	if task != "" {
		call = "task " + task + " started"
	}
	w.refuseWall(fmt.Sprintf("%s under a deadline on the wall clock (%s), made by package context's WithTimeout or WithDeadline, "+
		"or by a library's timeout (http.Client.Timeout): simulated time does not keep pace with the wall clock, "+
		"so that deadline would not end the wait as it does in production; make the context with p.Time.WithTimeout or p.Time.WithDeadline",
		call, d.Format(time.RFC3339Nano)))
}

// RefuseWallTime fails the run as a wall-clock deadline does when t, given
// to call (a connection's SetReadDeadline, Time.WithDeadline), was read
// from time.Now: its result, and times added to it, carry a reading of the
// monotonic clock, which no time of the simulation has. Such a deadline
// lies years past simulated time, so it would never end the wait it
// bounds, and the seed would hang where production times out.
//
// A time stripped of that reading (time.Now().UTC(), Round(0),
// time.Unix) cannot be told from a time of the simulation's for sure, so
// it fails nothing: one that lies within a day of the wall clock's time,
// and weeks past simulated time, is noted, and a seed that then runs out
// of its time budget names it (budgetMsg).
func (w *World) RefuseWallTime(t time.Time, call string) {
	if t != t.Round(0) {
		w.guard(call) // a goroutine the simulation does not run fails as a stray, first
		w.refuseWall(fmt.Sprintf("%s given a time read from the wall clock (%s, from time.Now): simulated time does not keep pace with the wall clock, "+
			"so that deadline would not end the wait as it does in production; take the time from p.Time.Now()",
			call, t.Round(0).Format(time.RFC3339Nano)))
		return // refused: the run has failed
	}
	if w.nearWall != "" || t.IsZero() {
		return
	}
	// The wall clock is read only for a time weeks past simulated time.
	// Every deadline set passes here: the distance is taken in
	// nanoseconds since Epoch, not by Time.Sub.
	if at := SinceEpoch(t); at > w.now && at-w.now > int64(30*24*time.Hour) && nearWallClock(t, time.Now()) {
		simNow := Epoch.Add(time.Duration(w.now))
		w.nearWall = fmt.Sprintf("%s was given %s at %v, a time within a day of the wall clock's and weeks past simulated time (%s): "+
			"if it was read from the wall clock (time.Now().UTC(), time.Unix), it never ends the wait it bounds; take the time from p.Time.Now()",
			call, t.Format(time.RFC3339Nano), time.Duration(w.now), simNow.Format(time.RFC3339))
	}
}

// SinceEpoch is t.Sub(Epoch) in nanoseconds, as cheap as reading t's
// seconds for a time within 270 years of Epoch: every deadline set is
// compared with simulated time so, and Time.Sub, which checks its result
// by adding it back, costs several times as much.
func SinceEpoch(t time.Time) int64 {
	e := Epoch
	if sec := t.Unix() - e.Unix(); sec > -1<<33 && sec < 1<<33 {
		return sec*int64(time.Second) + int64(t.Nanosecond()-e.Nanosecond())
	}
	return int64(t.Sub(e))
}

// FromEpoch is Epoch.Add(time.Duration(ns)), the same value field for
// field, made from seconds and nanoseconds since 1970 rather than by
// Time.Add: every read of a simulated clock makes one, and Time.Add,
// which normalizes its sum and carries seconds over, costs several times
// as much.
func FromEpoch(ns int64) time.Time {
	if ns < 0 {
		return Epoch.Add(time.Duration(ns))
	}
	return time.Unix(epochUnix+ns/int64(time.Second), ns%int64(time.Second)).UTC()
}

// epochUnix is Epoch in seconds since 1970 (its nanoseconds are zero).
const epochUnix = 1704067200

// nearWallClock reports whether t lies within a day of wallNow, where a
// time read from the wall clock lies.
func nearWallClock(t, wallNow time.Time) bool {
	d := t.Sub(wallNow)
	return d > -24*time.Hour && d < 24*time.Hour
}

// refuseWall fails the run with a wall-clock deadline's failure, msg, and
// ends the running task as FailNow does. The task unwinds as FailNow ends
// it, so that code that recovers panics (a server's handler) lets it
// through (providers.Unwinding); the scheduler's own code goes on, and
// the run ends at its next step.
func (w *World) refuseWall(msg string) {
	t := w.cur
	name := SchedulerTask
	if t != nil {
		name = t.name
	}
	w.fail(&Failure{Kind: WallDeadline, Task: name, Stack: userFrames(callerStack(4)), Msg: msg})
	if t == nil {
		return
	}
	panic(stopSignal{})
}

// deadlockMsg explains a deadlock. (A wait for a wall-clock deadline, the
// usual cause of a deadlock that the same code does not have outside a
// simulation, is refused where it starts: refuseWallDeadline.)
func (w *World) deadlockMsg() string {
	return "no task can run and no event is pending, but the root task has not returned:\n" + w.describeTasks()
}

// budgetMsg explains a seed that ran out of simulated time.
func (w *World) budgetMsg() string {
	msg := fmt.Sprintf("simulated time would pass the budget of %v while the root task has not returned; "+
		"raise the budget with the TimeBudget option, or find the task that never finishes:\n", w.cfg.TimeBudget) + w.describeTasks()
	if w.nearWall != "" {
		msg += "\n" + w.nearWall
	}
	return msg
}
