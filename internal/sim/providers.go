package sim

import (
	"context"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// The providers are the World itself under other method sets, so handing
// them out allocates nothing.
type (
	timeProvider   World
	taskProvider   World
	randomProvider World
)

var (
	_ providers.Time   = (*timeProvider)(nil)
	_ Parker           = (*taskProvider)(nil)
	_ providers.Random = (*randomProvider)(nil)
	_ providers.Handle = (*task)(nil)
)

// Time.

func (p *timeProvider) Now() time.Time {
	w := (*World)(p)
	w.enter("Time.Now")
	now := FromEpoch(w.now)
	w.ClockRead()
	return now
}

func (p *timeProvider) Sleep(ctx context.Context, d time.Duration) error {
	w := (*World)(p)
	if d <= 0 {
		return w.yieldSleep(ctx)
	}
	// The common sleep, on the task's own context with nothing to look
	// at, parks from here: every frame between the task's code and the
	// coroutine's yield is a stretch of stack that the resume returns
	// through cold. The conditions are those under which current and
	// parkTask would take no other path.
	// curG is an assembly call, which clobbers every register: it comes
	// first, while only the arguments are live. The turn is checked
	// before w.cur is read: a stray goroutine (one that net/http's
	// TimeoutHandler started) must read nothing the running task writes.
	g := curG()
	if w.loadActive() == g {
		if t := w.cur; t != nil && !w.abandoned.Load() &&
			!t.killed && !t.inOnPark && t.onPark == nil &&
			t.owned && t.openAt == w.cancels+1 && isOwnCtx(ctx, t) {
			w.parkSleep(t, d)
			t.resumed(w, t.yield(struct{}{}))
			return t.woken(ctx)
		}
	}
	return w.sleep(ctx, d)
}

// isOwnCtx reports whether ctx is t's own context, made by the simulation.
// It is sameCtx for an owned context, whose type is known: an assertion to
// a concrete type compares one word with a constant, and the interfaces
// stay in registers, where sameCtx reads them from memory.
func isOwnCtx(ctx context.Context, t *task) bool {
	c, ok := ctx.(*simContext)
	own, _ := t.ctx.(*simContext)
	return ok && c == own && own != nil
}

// parkSleep queues the end of t's sleep and parks t as waiting on its own
// context, short of the yield: out of line, so that Sleep's frame, which
// the resume returns through cold, holds only what it needs after it.
//
//go:noinline
func (w *World) parkSleep(t *task, d time.Duration) {
	w.scheduleIn(&t.sleep, d)
	t.waitOwn, t.ctxOwned = true, true
	waitAdd(&w.ownedWaiters, w.ctxPos, t)
	t.parked = true
	t.what = "sleep"
}

// yieldSleep is Sleep for a duration of zero or less.
//
//go:noinline
func (w *World) yieldSleep(ctx context.Context) error {
	(*taskProvider)(w).Yield(ctx)
	return ctx.Err()
}

// sleep is Sleep's general path: out of line, so that the fast path's
// frame stays small.
//
//go:noinline
func (w *World) sleep(ctx context.Context, d time.Duration) error {
	t := w.current("Sleep")
	// The refusals come before the sleep's end is queued, which nothing
	// would take back: a caller that recovers one (an OnPark function)
	// would be woken at its instant from whatever it waits on then.
	if ctx == nil {
		panic("sim: sleep with a nil context; pass the task's ctx, or a context made from it")
	}
	if t.inOnPark {
		panic(errParkInOnPark)
	}
	w.scheduleIn(&t.sleep, d)
	err := w.parkTask(t, ctx, "sleep")
	if err != nil {
		// ctx had ended before the task parked: no wake took the sleep's
		// end back, and at its instant it would wake whatever the task
		// waits on then.
		unschedule(&t.sleep)
	}
	return err
}

func (p *timeProvider) AfterFunc(d time.Duration, f func()) providers.Timer {
	w := (*World)(p)
	w.enter("Time.AfterFunc")
	if f == nil {
		panic("sim: Time.AfterFunc with a nil function; pass the function to call when the time comes")
	}
	tm := &timer{w: w}
	g := w.curGroup() // the timer's task joins the process that set it
	tm.ev.fn = func() {
		if g != nil && g.dead {
			return // the process that set the timer is gone
		}
		w.spawnTask(g, w.Context(), "AfterFunc", func(context.Context) error { f(); return nil }, g != nil && g.quietTimers)
	}
	w.scheduleIn(&tm.ev, d)
	return tm
}

type timer struct {
	w  *World
	ev event
}

func (t *timer) Stop() bool {
	t.w.enter("Timer.Stop")
	return unschedule(&t.ev)
}

func (t *timer) Reset(d time.Duration) bool {
	t.w.enter("Timer.Reset")
	pending := unschedule(&t.ev)
	if t.w.state == running {
		t.w.scheduleIn(&t.ev, d)
	}
	return pending
}

func (p *timeProvider) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return p.WithDeadline(ctx, p.Now().Add(d))
}

func (p *timeProvider) WithDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	w := (*World)(p)
	w.enter("Time.WithDeadline")
	w.RefuseWallTime(deadline, "Time.WithDeadline")
	// Under a deadline on the wall clock, a deadline of simulated time
	// would hide the one production keeps: parentOf refuses it.
	if up, ext, ok := w.parentOf(ctx, "Time.WithDeadline", ""); ok {
		c := w.withDeadline(ctx, up, ext, deadline)
		return c, c.cancelDeadline
	}
	d := w.deadlineOf(ctx, deadline)
	return d.ctxOf(), d.cancel
}

// WithDeadlineCancelCause is WithDeadline whose cancel takes a cause, as
// context.WithCancelCause's does, and a zero deadline adds none: a
// context that ends at deadline, when ctx does, or when cancel is
// called, with its cause then (context.Cause) the one cancel was given.
// It is the one context an rpc server makes for a request that its
// caller may cancel, where package context would make two, and on no
// interface of package providers, as with GoQuiet.
func (p *timeProvider) WithDeadlineCancelCause(ctx context.Context, deadline time.Time) (context.Context, context.CancelCauseFunc) {
	w := (*World)(p)
	w.enter("Time.WithDeadline")
	if !deadline.IsZero() {
		w.RefuseWallTime(deadline, "Time.WithDeadline")
	}
	return w.withCancelCause(ctx, "Time.WithDeadline", deadline)
}

// WithCancelCause is context.WithCancelCause with a context of the
// world's: package providers' Group and Quorum make the context of their
// tasks with it in a simulation, so that the world ends their waits at
// once where, under package context's, it would look at each of them at
// every instant (see parentOf). It is on no interface of package
// providers, as with GoQuiet.
func (p *taskProvider) WithCancelCause(ctx context.Context) (context.Context, context.CancelCauseFunc) {
	w := (*World)(p)
	w.enter("WithCancelCause")
	return w.withCancelCause(ctx, "WithCancelCause", time.Time{})
}

// withCancelCause is WithDeadlineCancelCause for call, entered.
func (w *World) withCancelCause(ctx context.Context, call string, deadline time.Time) (context.Context, context.CancelCauseFunc) {
	if up, ext, ok := w.parentOf(ctx, call, ""); ok {
		c := w.withDeadline(ctx, up, ext, deadline)
		return c, c.cancelDeadlineCause
	}
	d := w.deadlineOf(ctx, deadline)
	return d.ctxOf(), d.cancelCause
}

// deadlineOf makes WithDeadline's context under a context whose end
// package context cannot hand on at once (see parentOf): one of package
// context's cancel contexts with a timer of the world's, unless deadline
// is zero. One allocation holds the context and what its cancel needs.
func (w *World) deadlineOf(ctx context.Context, deadline time.Time) *deadlineOf {
	d := &deadlineOf{w: w}
	d.inner, d.cancelInner = context.WithCancelCause(ctx)
	if deadline.IsZero() {
		return d
	}
	if cur, ok := ctx.Deadline(); !ok || worldDeadline(ctx, cur).After(deadline) { // else the parent's deadline comes first
		d.ctx = deadlineCtx{Context: d.inner, deadline: deadline}
		if at := SinceEpoch(deadline); at <= w.now {
			d.cancelInner(context.DeadlineExceeded)
		} else {
			d.timer = w.deadlineTimer(d, nil)
			w.schedule(&d.timer.ev, at)
		}
	}
	return d
}

// ctxOf returns d's context: with its own deadline, or the cancel
// context alone when the deadline is its parent's or none.
func (d *deadlineOf) ctxOf() context.Context {
	if d.ctx.Context == nil {
		return d.inner
	}
	return &d.ctx
}

// deadlineOf is what WithDeadline makes under a context of another
// package's (see parentOf).
type deadlineOf struct {
	w           *World
	ctx         deadlineCtx
	inner       context.Context
	cancelInner context.CancelCauseFunc
	timer       *deadlineTimer // while the deadline is the context's own and pending
}

// A deadlineTimer is the timer of a deadline, of a simContext (c) or of a
// deadlineOf (d). Once it fired or was stopped, it goes back to the world
// for the next deadline, with its event and its callback (expire, made
// once: nothing clears the fn of an event that is not a spare).
type deadlineTimer struct {
	ev event
	d  *deadlineOf
	c  *simContext
}

// deadlineTimer returns a spare timer, or a new one, for d or c.
func (w *World) deadlineTimer(d *deadlineOf, c *simContext) *deadlineTimer {
	var t *deadlineTimer
	if n := len(w.deadlineTimers); n > 0 {
		t = w.deadlineTimers[n-1]
		w.deadlineTimers[n-1] = nil
		w.deadlineTimers = w.deadlineTimers[:n-1]
	} else {
		t = &deadlineTimer{}
		t.ev.fn = t.expire
	}
	t.d, t.c = d, c
	return t
}

// release hands t, no longer queued, back to the world.
func (t *deadlineTimer) release() {
	var w *World
	if d := t.d; d != nil {
		d.timer, w = nil, d.w
	}
	if c := t.c; c != nil {
		c.timer, w = nil, c.w
	}
	t.d, t.c = nil, nil
	w.deadlineTimers = append(w.deadlineTimers, t)
}

// stop takes t, if there is one, off the queue and hands it back: a
// deadline cancelled before it passed.
func (t *deadlineTimer) stop() {
	if t != nil {
		unschedule(&t.ev)
		t.release()
	}
}

// expire is the timer's callback.
func (t *deadlineTimer) expire() {
	d, c := t.d, t.c
	t.release()
	if c != nil {
		c.cancel(ctxDeadline, true)
		c.w.cancelOwned()
		return
	}
	d.cancelInner(context.DeadlineExceeded)
	d.w.cancelOwned()
}

// cancel is the CancelFunc WithDeadline returns; after the run, as
// simContext's cancelDeadline, it only ends the context.
func (d *deadlineOf) cancel() { d.cancelCause(nil) }

// cancelCause is the CancelCauseFunc WithDeadlineCancelCause returns.
func (d *deadlineOf) cancelCause(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	w := d.w
	if w.loadActive() == runEnded {
		d.cancelInner(cause)
		return
	}
	w.enter("a deadline's cancel")
	d.timer.stop()
	d.cancelInner(cause)
	w.cancelOwned()
}

// deadlineCtx is a context whose deadline is on the simulated clock.
type deadlineCtx struct {
	context.Context
	deadline time.Time
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Err is DeadlineExceeded when the timer ended the cancel context under
// it, whose cause is then DeadlineExceeded itself: a cause that only
// wraps it, given to WithDeadlineCancelCause's cancel, leaves Err
// Canceled, as package context's.
func (c *deadlineCtx) Err() error {
	err := c.Context.Err()
	if err != nil && context.Cause(c.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// Task.

func (p *taskProvider) Go(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	return (*World)(p).spawn(ctx, name, fn)
}

// GoQuiet is Go for a helper task whose start and end the timeline does
// not show, as a quiet timer's (World.QuietTimers), unless it returns an
// error: a program's host runs one such task for each socket's reads,
// writes, accepts and dials, and their lines would crowd out, in a
// failure report's window, what the program did. The task runs as Go's
// would: the trace is the same. It is on no interface of package
// providers, as with OnPark.
func (p *taskProvider) GoQuiet(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	w := (*World)(p)
	return w.spawnTask(w.curGroup(), ctx, name, fn, true)
}

func (p *taskProvider) Yield(ctx context.Context) {
	w := (*World)(p)
	t := w.current("Yield")
	if t.inOnPark {
		panic(errParkInOnPark)
	}
	t.fireOnPark()
	// Ready at once: the scheduler may pick this task again straight away.
	t.waitGen++
	w.makeReady(t)
	t.resumed(w, t.yield(struct{}{}))
}

// OnPark has fn called the first time, from now on, that the running task
// gives up its turn: when it parks (on anything: a sleep, a read, a
// channel, a lock, a join), yields or returns. fn runs inside that call,
// before any other task runs and before the park could return; it must
// not block, and it may start tasks, which join the running task's
// process. OnPark(nil), or the call, clears it; a task that is killed or
// panics clears it without a call. A task has one such function: a
// second OnPark replaces the first.
//
// It is how code that runs work inline learns, at a deterministic point,
// that the work blocks: the rpc transport runs a handler in its
// connection's reader, and hands the reading to a new task if the
// handler parks; a caller that holds a connection's reading gives it
// back when it parks elsewhere. It is on no interface of package providers: such code
// finds it on the Task provider by an interface of its own, and does
// without it in production.
func (p *taskProvider) OnPark(fn func()) {
	t := (*World)(p).current("OnPark")
	if g := t.group; g != nil && g.reader == t {
		// The task goes on from a clock-read pause: its process's other
		// tasks wait for its next park, which fn must not take away.
		if fn == nil {
			t.onPark = func() { g.readerGone(t) }
			return
		}
		t.onPark = func() {
			fn()
			g.readerGone(t)
		}
		return
	}
	t.onPark = fn
}

// Spawner returns a function that starts tasks as Go does, but in the
// process of the running task (in none, outside any task or for a task of
// none), whichever task calls it later. It returns nil, and starts
// nothing, once that process has been killed. Go puts a new task in the
// process of the task that starts it, which is right for a process's own
// code; a long-lived object that a process makes and other processes'
// tasks use (the rpc transport's peers and connections) starts its tasks
// with a Spawner taken when it is made, so that they live and die with
// the process that owns it, not with whichever task first needed them.
// It is on no interface of package providers: such code finds it on the
// Task provider by an interface of its own, as with OnPark.
func (p *taskProvider) Spawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	w := (*World)(p)
	return w.spawnerIn(w.curGroup(), false)
}

// QuietSpawner is Spawner for quiet tasks, as GoQuiet's: an rpc
// connection's readers, a new one each time a handler run inline parks,
// whose starts and ends crowded a failure report's window of an rpc
// service.
func (p *taskProvider) QuietSpawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	w := (*World)(p)
	return w.spawnerIn(w.curGroup(), true)
}

// spawnerIn is a Spawner's function, for tasks of g (none if nil).
func (w *World) spawnerIn(g *Group, quiet bool) func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	return func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
		if g != nil && g.dead {
			return nil
		}
		return w.spawnTask(g, ctx, name, fn, quiet)
	}
}

func (p *taskProvider) WaitToken() providers.WaitToken {
	t := (*World)(p).current("WaitToken")
	return t.waitToken()
}

func (p *taskProvider) Park(ctx context.Context, tok providers.WaitToken, what string) error {
	w := (*World)(p)
	t := w.current(what)
	if tok != t.waitToken() {
		panic("sim: Park with a WaitToken that is not the calling task's latest; call WaitToken right before Park")
	}
	return w.parkTask(t, ctx, what)
}

// ParkDescribed is Park whose wait is described, in a report on the tasks
// (a deadlock), by what and then by what describe returns at report time.
func (p *taskProvider) ParkDescribed(ctx context.Context, tok providers.WaitToken, what string, describe func() string) error {
	w := (*World)(p)
	t := w.current(what)
	if tok != t.waitToken() {
		panic("sim: Park with a WaitToken that is not the calling task's latest; call WaitToken right before Park")
	}
	t.describe = describe
	defer func() { t.describe = nil }()
	return w.parkTask(t, ctx, what)
}

// Crashed is World.Crashed: the running task is a crashed process's,
// unwinding, and its calls into the simulation act on nothing. A Cond's
// Wait asks it, so as not to take the Mutex back for an Unlock that will
// not act.
func (p *taskProvider) Crashed() bool { return (*World)(p).Crashed() }

// TaskName returns the name of the running task, "" outside any.
func (p *taskProvider) TaskName() string {
	if t := (*World)(p).cur; t != nil {
		return t.shown()
	}
	return ""
}

// OwnTaskName returns the running task's name as TaskName gives it,
// without its process's prefix: a task it starts gets that prefix again
// (spawnIn). It is "" outside any task.
func (p *taskProvider) OwnTaskName() string {
	t := (*World)(p).cur
	if t == nil {
		return ""
	}
	name := t.shown()
	if t.group != nil {
		name = strings.TrimPrefix(name, t.group.name+"/")
	}
	return name
}

// SetTaskName has the timeline name the running task *name from now on,
// whole, as TaskName gives it (with its process's prefix), or, for nil,
// by the name it started with again. A task that runs one piece of work
// after another (the rpc transport's connection reader, which runs
// handlers inline) is named for the work it runs now. The string is kept
// by its pointer, so that a rename costs no allocation: the caller leaves
// it as it is, and never writes the string again: the watchdog's
// reports, made on another goroutine, read it to name the task as the
// timeline does. The trace hashes no task name, so a rename leaves it
// alone. It is on no interface of
// package providers, as with OnPark.
func (p *taskProvider) SetTaskName(name *string) {
	(*World)(p).current("SetTaskName").alias.Store(name)
}

func (p *taskProvider) Wake(tok providers.WaitToken) bool {
	w := (*World)(p)
	w.guard("Wake")
	return w.wakeToken(tok)
}

func (p *taskProvider) Enter(what string) { (*World)(p).enter(what) }

func (p *taskProvider) Choose(n int) int {
	(*World)(p).enter("Choose")
	if n <= 1 {
		return 0
	}
	return p.rng.IntN(n)
}

// Random.

func (p *randomProvider) Uint64() uint64 {
	(*World)(p).enter("Random.Uint64")
	return p.rng.Uint64()
}

func (p *randomProvider) IntN(n int) int {
	(*World)(p).enter("Random.IntN")
	return p.rng.IntN(n)
}

func (p *randomProvider) Int64N(n int64) int64 {
	(*World)(p).enter("Random.Int64N")
	return p.rng.Int64N(n)
}

func (p *randomProvider) Float64() float64 {
	(*World)(p).enter("Random.Float64")
	return p.rng.Float64()
}
