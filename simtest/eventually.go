package simtest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// liveness is a check registered with S.Eventually: a property that must
// come to hold within a window once the faults stop.
type liveness struct {
	name   string
	within time.Duration
	check  func() error
	entry  *tally.Entry

	at      time.Duration // when the window is to open, for EventuallyAfter; -1 otherwise
	open    bool          // the window is open: the check runs after every step
	opened  time.Duration // when the window opened, in simulated time
	closed  bool          // the check held, or the window closed without it
	lastErr error         // the last error of a check that judged the state
	// skipped is the error, wrapping SkipCheck, of a check that could not
	// judge the state since the last that did, or nil.
	skipped  error
	deadline func() bool // cancels the event that closes the window
}

// Eventually registers a liveness property of the seed: once the faults
// stop, check must return nil within the window within of simulated time.
// The window opens when the faults stop: at [Cluster.Run]'s quiesce, or
// when the body calls [S.Quiesce]; registered after that, it opens at
// once. While the window is open, check runs after every step, as an
// invariant's does, until it first returns nil; the property then holds
// for the seed. If the window closes first, the seed fails with the
// property's name, the window, how long after the faults stopped check
// was still failing, and the last error it returned other than
// [SkipCheck], which a check that cannot judge the state returns. A
// check that panics fails the seed at once.
//
// The seed does not end before its windows close: when the body returns,
// the driver waits, in simulated time, until every open window has closed
// or its check has held. The body's context ends when the body returns,
// before that wait, and stops the tasks on it: a load stops, as a drain
// property needs. A task whose work the check waits for must outlive the
// body: keep the body running through the window ([S.Sleep]), or start the
// task on context.WithoutCancel([S.Context]). A failing property names
// the tasks [S.Go] started that ended with the context before its window
// closed. A window that never opened (the faults never stopped) fails the
// seed, unless a failure ended the seed first.
//
// Each property is an assertion named name in the report, of kind
// Eventually. check runs on the scheduler, outside any task, under the
// rules of [S.Invariant]: it may read state, but must not block, start
// tasks or draw randomness.
//
// A liveness property such as "the queue drains" or "every follower
// catches up" is what stays false forever in the bugs that take systems
// down for hours (a retry storm that never ends after a short partition);
// choose the window as the time the system should take to recover once
// nothing is failing, not the time the faults lasted.
//
// Called by a crashed process's task as it unwinds, Eventually registers
// nothing and the task unwinds on, as [S.Cleanup] does there.
func (s *S) Eventually(name string, within time.Duration, check func() error) {
	s.Helper()
	if s.over("S.Eventually") {
		s.lateProperty("Eventually", name)
		return
	}
	s.eventually(name, -1, within, check)
}

// lateProperty reports a liveness property registered through method
// after the seed ended: nothing would check it.
func (s *S) lateProperty(method, name string) {
	s.after.fail(s, method+" was called on", s.caller(), fmt.Sprintf("the property %q is not checked: the seed's checks have run", name))
}

// EventuallyAfter is [S.Eventually] with a window that opens at start, a
// simulated time since the seed began (as [S.Elapsed] reads it), rather
// than when the faults stop. It is for bodies that end their own faults.
// start must not be in the past.
func (s *S) EventuallyAfter(start time.Duration, name string, within time.Duration, check func() error) {
	s.Helper()
	if s.over("S.EventuallyAfter") {
		s.lateProperty("EventuallyAfter", name)
		return
	}
	if start < s.Elapsed() {
		s.Fatalf("s.EventuallyAfter(%v, %q): the window would open at %v, but the seed is already at %v; register the property before its window opens", start, name, start, s.Elapsed())
		return
	}
	s.eventually(name, start, within, check)
}

// eventually registers a property whose window opens at start, or when
// the faults stop when start is negative.
func (s *S) eventually(name string, start, within time.Duration, check func() error) {
	s.Helper()
	bad := func(why string) { s.Fatalf("s.Eventually(%q): %s", name, why) }
	switch {
	case check == nil:
		bad("the check is nil; pass a func() error that returns nil once the property holds")
		return
	case name == "":
		bad("the name is empty; name the property: the name is its message in reports")
		return
	case within <= 0:
		bad(fmt.Sprintf("the window is %v; give the system a positive time to recover in", within))
		return
	}
	o := s.obs
	for _, l := range o.liveness {
		if l.name == name {
			bad("a property of that name is already registered in this seed; register each once, with its own name")
			return
		}
	}
	s.unwindCrashed() // a crashed process's defer registers nothing
	var site *tally.Site
	if pc, _, _, ok := runtime.Caller(2); ok {
		site = o.book.Book().SiteOf(pc)
	}
	e, err := o.book.Book().Declare(simctx.Eventually, name, site)
	if err != nil {
		bad(err.Error())
		return
	}
	l := &liveness{name: name, within: within, check: check, entry: e, at: start}
	o.liveness = append(o.liveness, l)
	o.watchSteps()
	if len(o.liveness) == 1 {
		s.Cleanup(o.awaitLiveness)
	}
	switch {
	case start >= 0:
		o.w.After(start-s.Elapsed(), func() { o.openWindow(l) })
	case o.quiesced:
		o.openWindow(l)
	}
}

// Quiesce ends the seed's faults, as [Cluster.Run] does between its run
// and its checks: the network heals and its faults stop (latency stays),
// disks stop faulting, buggify stops firing. The windows of [S.Eventually]
// open. Processes keep running.
func (s *S) Quiesce() {
	s.faultsOff()
	o := s.obs
	o.quiesced = true
	for _, l := range o.liveness {
		if !l.open && !l.closed {
			o.openWindow(l)
		}
	}
}

// faultsOff is Quiesce's end of the faults, once: the network heals and
// stops faulting, the disks stop faulting, buggify stops firing, and
// nothing turns them on again.
func (s *S) faultsOff() {
	if s.obs.faultsOff {
		return
	}
	s.obs.faultsOff = true
	s.network().Quiesce()
	s.diskSet().Quiesce()
	s.w.ChaosOff(true)
}

// openWindow starts l's window now.
func (o *observer) openWindow(l *liveness) {
	l.open, l.opened = true, o.w.Now()
	o.w.Log(fmt.Sprintf("eventually %q: its window of %v opens", l.name, l.within))
	l.deadline = o.w.After(l.within, func() { o.closeWindow(l) })
	o.checkLiveness(l)
}

// checkLiveness runs l's check, if its window is open, and closes it when
// the check holds.
func (o *observer) checkLiveness(l *liveness) {
	if !l.open || l.closed {
		return
	}
	draws := o.w.Rand().Draws()
	err, panicked := runLivenessCheck(l.check)
	if o.w.Rand().Draws() != draws {
		o.fail(fmt.Sprintf("Eventually %q (%v): the check drew from the run's random stream, which changes the run it checks; a check must only look at state", l.name, l.entry.Site()))
	}
	switch {
	case panicked:
		l.closed = true
		l.deadline()
		o.book.Check(l.entry, false, "error", err.Error())
	case err == nil:
		l.closed = true
		l.deadline()
		o.book.Check(l.entry, true)
		o.w.Log(fmt.Sprintf("eventually %q: holds, %v after its window opened", l.name, o.w.Now()-l.opened))
	case errors.Is(err, SkipCheck):
		l.skipped = err
	default:
		l.lastErr, l.skipped = err, nil
	}
}

// closeWindow ends l's window: a last check, then the failure.
func (o *observer) closeWindow(l *liveness) {
	o.checkLiveness(l)
	if l.closed {
		return
	}
	l.closed = true
	var msg string
	last := l.lastErr
	switch {
	case last == nil:
		// Every check skipped: not false, but never true either.
		last = l.skipped
		msg = fmt.Sprintf("not judged %v after its window opened, when the window of %v closed: each check returned SkipCheck (the last: %v)",
			o.w.Now()-l.opened, l.within, last)
	case l.skipped != nil:
		msg = fmt.Sprintf("still false %v after its window opened, when the window of %v closed; last error: %v; the checks after it returned SkipCheck (the last: %v)",
			o.w.Now()-l.opened, l.within, last, l.skipped)
	default:
		msg = fmt.Sprintf("still false %v after its window opened, when the window of %v closed; last error: %v",
			o.w.Now()-l.opened, l.within, last)
	}
	msg += o.s.endedWithBody(l)
	// The last error first: a time it names (a stale read's call) is
	// the more exact.
	o.failing = errors.Join(last, windowOpened(l.opened))
	o.book.Check(l.entry, false, "error", msg)
	o.failing = nil
}

// endedWithBody tells, for l's failure, which tasks the body started
// ended as its context did, before l's window closed: a check that waited
// for their work could not see it.
func (s *S) endedWithBody(l *liveness) string {
	if len(s.endedWithCtx) == 0 {
		return ""
	}
	var names []string
	for _, t := range s.endedWithCtx {
		names = append(names, fmt.Sprintf("%q at %v", t.name, t.at))
	}
	what, them := pluralWord(len(names), "task", "tasks"), pluralWord(len(names), "it", "them")
	return fmt.Sprintf("; the body had returned, which ends its context (the context ends when the body returns), "+
		"and the %s it started with s.Go ended with it before the window closed (%s), so the check waited for work that had stopped: "+
		"to keep %s running through the window, keep the body running past it (s.Sleep(%v) after s.Eventually), "+
		"or start %s with s.Providers().Task.Go(context.WithoutCancel(s.Context()), name, fn), which only the seed's end stops",
		what, strings.Join(names, ", "), them, l.within, them)
}

// windowOpened is when an Eventually's window opened, which its failure
// names for the report's window (namedTime): the failure comes when the
// window closes, but what the system did as the faults stopped is where
// its recovery went wrong, and a busy seed's window at the close no longer
// reaches back to it.
type windowOpened time.Duration

func (w windowOpened) Error() string {
	return fmt.Sprintf("the window opened at %v", time.Duration(w))
}

func (w windowOpened) At() time.Time { return sim.Epoch.Add(time.Duration(w)) }

// awaitLiveness runs when the body returns: it waits for every open window
// to close, and fails the properties whose window never opened, unless a
// failure ended the seed first.
func (o *observer) awaitLiveness() {
	s := o.s
	for {
		var next time.Duration = -1
		for _, l := range o.liveness {
			end := l.at // a window yet to open
			if l.open {
				end = l.opened + l.within
			}
			if !l.closed && end >= 0 && (next < 0 || end < next) {
				next = end
			}
		}
		if next < 0 {
			break
		}
		// The world's context: the seed's own may end before its cleanups.
		if s.p.Time.Sleep(o.w.Context(), next-o.w.Now()) != nil {
			return
		}
	}
	if o.w.Failed() || o.w.Abandoned() {
		// FailNow, or a failure of the engine's, cut the seed short (or
		// the watchdog gave up the run, a task busy or blocked outside
		// the simulation): the windows were still to open, and the
		// report has its cause.
		return
	}
	for _, l := range o.liveness {
		if !l.open && !l.closed {
			l.closed = true
			o.book.Check(l.entry, false, "error", "its window never opened: the seed ended with its faults still on; run the workload with Cluster.Run, call s.Quiesce, or open the window at a set time with s.EventuallyAfter")
		}
	}
}

// runLivenessCheck calls check, and reports a panic as an error that
// names it.
func runLivenessCheck(check func() error) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			err, panicked = fmt.Errorf("the check panicked: %v", r), true
		}
	}()
	return check(), false
}
