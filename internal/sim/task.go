package sim

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/moonpool-go/moonpool/providers"
)

// A task is a coroutine: it runs on the goroutine of a worker, which it
// has to itself until it ends (the worker then runs a later task), but
// only between the scheduler's resume and its next park, so exactly one
// task runs at a time.
type task struct {
	// The fields a sleep and its wake-up touch come first, in the
	// task's first two cache lines: a run resumes many tasks in turn, and
	// each comes back cold. The first line holds what the task reads and
	// writes itself, when it is resumed and when it parks again; the
	// second, all that the scheduler touches when the task's sleep ends
	// (the event, the wait's generation, the lists' entry), so that a
	// wake-up reads one line of the task. The allocator aligns a task to
	// 64 bytes only if its size class is a multiple of 64
	// (TestTaskIsAlignedToCacheLines).
	yield  func(struct{}) bool // wk.yield, kept at hand for parking
	g      goroutine           // wk.g, once the task has started
	ctx    context.Context
	what   string // what a parked task waits on
	openAt uint64 // w.cancels+1 when its own context was last found open
	killed bool
	// mute is set when the task is killed with its group crashed: every
	// call it makes into the simulation unwinds it at once (see enter).
	// It is never set without killed.
	mute  bool
	owned bool // ctx is owned by the simulation
	// inOnPark is set while onPark runs: it must not park.
	inOnPark bool
	// ctxWoke is set when the context of its wait woke it: the park
	// returns that context's error.
	ctxWoke bool

	sleep event
	next  func() (struct{}, bool) // wk.next, kept at hand for resuming
	// onPark, when set, is called once when the task next gives up its
	// turn (taskProvider.OnPark).
	onPark   func()
	slot     int32 // its index in w.readyPos and w.ctxPos (tasklist.go)
	id       uint32
	waitGen  uint32
	parked   bool
	ctxOwned bool // the context of its wait is owned
	// waitOwn is set when the context of its wait is its own, ctx, which
	// waitCtx then does not hold (see waitingOn).
	waitOwn bool

	done     <-chan struct{} // waitChan(ctx), looked at when ctx may have ended
	started  bool
	finished bool
	// unwinding is set when the kill signal is first thrown in the task,
	// and killPCs holds the stack it was thrown from: a killed task that
	// runs on outside a panic recovered it (swallow.go).
	unwinding bool
	lastOwned bool // see lastDone
	// quiet keeps its start and end out of the timeline, but for an
	// error it returns: a timer's task of a process whose timers are the
	// host's (World.QuietTimers), a host's helper task (GoQuiet).
	quiet bool

	waitCtx context.Context // the context that may end the wait, unless waitOwn
	w       *World
	wk      *worker // the coroutine that runs it

	group  *Group // the process the task belongs to, if any
	name   string
	fn     func(ctx context.Context) error
	cancel context.CancelFunc
	pos    int // index in w.tasks, which may hold ended tasks' nils before it

	// describe, when set, adds to what at report time (ParkDescribed).
	describe func() string
	// lastDone and lastOwned remember whether the context watched
	// through lastDone (waitChan), the last other than the task's own
	// that it waited on, is owned: a context's ownership does not change
	// before it is done, all the world's contexts watched through one of
	// its never-closed channels are owned or all are not, and a task
	// tends to wait on one context again and again.
	lastDone <-chan struct{}

	killPCs  []uintptr
	killedAt int64
	err      error
	joiners  []providers.WaitToken

	// alias, when set (SetTaskName), is the name the timeline gives the
	// task instead of name, which never changes. The watchdog's goroutine
	// reads it too, to name a task blocked outside the simulation as the
	// timeline does (an rpc reader blocked in the handler it runs): it
	// is stored atomically. It fills what was padding: ownCtx starts on a
	// cache line.
	alias atomic.Pointer[string]
	// ownCtx is ctx when the world makes it (see spawnIn): a task and its
	// context are one allocation, the context in the task's last two
	// lines (TestATaskAndItsContextAreOneAllocation). A context kept
	// after its task ended keeps the task's bytes so; finish lets go of
	// what the task refers to that it no longer needs.
	ownCtx simContext
}

// shown is the task's name in the timeline: its alias, if it has one.
func (t *task) shown() string {
	if a := t.alias.Load(); a != nil {
		return *a
	}
	return t.name
}

// panicAfterCrash names the timeline entry of a panic raised by a deferred
// call of a crashed process's task: noted, not failed (see body).
const panicAfterCrash = "panic after crash"

// errorAfterCrash names the timeline entry of a failure that a crashed
// process's task reported as it unwound (a test's Errorf, a false Always):
// noted, not failed (see ReportAfterCrash).
const errorAfterCrash = "error after crash"

// skipAfterCrash names the timeline entry of a skip that a crashed
// process's task asked for as it unwound (a test's Skip): noted, not
// taken (see SkipAfterCrash).
const skipAfterCrash = "skip after crash"

// afterCrash is the timeline message of what t, a crashed process's task,
// raised or reported (how) while it unwound: an entry named name, which
// says why the run goes on.
func (t *task) afterCrash(name string, what any, how string) string {
	return fmt.Sprintf("%s: %v (%s by a deferred call while the task unwound from its process's crash at %v; "+
		"a crashed process runs no defers outside a simulation, so the run goes on)", name, what, how, time.Duration(t.killedAt))
}

// ReportAfterCrash is for what fails the run from inside a task (a test's
// Errorf, an assertion): when the running task is a crashed process's
// (Group.Crash), unwinding from the crash, it notes report on the timeline
// as an "error after crash" entry of the process and returns true, and the
// caller fails nothing. A crashed process runs no defers outside a
// simulation, so what they report is not the code's failure, as a panic
// they raise is not. Otherwise it returns false: a live task's report, or
// a killed task's of a graceful stop's leftovers, fails the run.
func (w *World) ReportAfterCrash(report string) bool {
	return w.noteAfterCrash(errorAfterCrash, report, "reported")
}

// SkipAfterCrash is ReportAfterCrash for a skip (a test's Skip): when the
// running task is a crashed process's, unwinding from the crash, it notes
// reason on the timeline as a "skip after crash" entry of the process and
// returns true, and the caller skips nothing. What a crashed process's
// defer asks for, it would never ask outside a simulation. Otherwise it
// returns false.
func (w *World) SkipAfterCrash(reason string) bool {
	return w.noteAfterCrash(skipAfterCrash, reason, "asked for")
}

// noteAfterCrash notes on the running task's process's timeline an entry
// named name: that a deferred call of the task, as it unwound from its
// process's crash, did how (reported, asked for) what. It returns whether
// the task was such a task; a live task's call notes nothing.
func (w *World) noteAfterCrash(name, what, how string) bool {
	if !w.Crashed() {
		return false
	}
	t := w.cur
	w.note(t.shown(), t.group, t.afterCrash(name, what, how))
	return true
}

// Crashed reports whether the running task is a crashed process's
// (Group.Crash), unwinding from the crash.
func (w *World) Crashed() bool {
	t := w.cur
	return t != nil && t.mute
}

// Unwinding reports whether the running task is unwinding from its kill.
func (w *World) Unwinding() bool {
	t := w.cur
	return t != nil && t.unwinding
}

// killSignal is the panic value that unwinds a killed task.
type killSignal struct{}

// stopSignal is the panic value of FailNow.
type stopSignal struct{}

// SimulationUnwind marks the engine's own panic values, which code under
// test that recovers must let go on (providers.Unwinding).
func (killSignal) SimulationUnwind() {}

// SimulationUnwind marks the engine's own panic values.
func (stopSignal) SimulationUnwind() {}

func (w *World) spawn(ctx context.Context, name string, fn func(ctx context.Context) error) *task {
	return w.spawnIn(w.curGroup(), ctx, name, fn)
}

// curGroup returns the group of the running task: nil outside any task,
// or for a task of none.
func (w *World) curGroup() *Group {
	if w.cur == nil {
		return nil
	}
	return w.cur.group
}

// spawnIn starts a task in group g (nil for none), named "group/name".
func (w *World) spawnIn(g *Group, ctx context.Context, name string, fn func(ctx context.Context) error) *task {
	return w.spawnTask(g, ctx, name, fn, false)
}

// spawnTask is spawnIn, for a quiet task too: one whose start and end
// the timeline does not show.
func (w *World) spawnTask(g *Group, ctx context.Context, name string, fn func(ctx context.Context) error, quiet bool) *task {
	w.enter("Task.Go")
	if fn == nil {
		panic(fmt.Sprintf("sim: task %q started with a nil function; pass the function the task runs", name))
	}
	if w.state != running {
		panic(fmt.Sprintf("sim: task %q started on a simulation that is not running (it ended, or never began); "+
			"start tasks from inside the simulation, before its body returns", name))
	}
	if c := w.cur; c != nil {
		if w.abandoned.Load() {
			w.givenUp(c)
		}
		if c.killed {
			c.unwind()
		}
	}
	up, ext, ok := w.parentOf(ctx, "", name)
	w.nextID++
	if g != nil {
		name = g.name + "/" + name
	}
	t := &task{w: w, group: g, id: w.nextID, name: name, fn: fn, quiet: quiet}
	w.newSlot(t)
	t.sleep.task = t
	if ok {
		w.initContext(&t.ownCtx, ctx, up, ext)
		t.ownCtx.taskOwn = true
		t.ctx, t.owned = &t.ownCtx, ext == nil
	} else {
		t.ctx, t.cancel = context.WithCancel(ctx)
	}
	t.done = w.waitChan(t.ctx)
	t.wk = w.worker()
	t.wk.t = t
	t.next = t.wk.next
	t.pos = len(w.tasks)
	w.tasks = append(w.tasks, t)
	w.started++
	w.trace = mix(w.trace, uint64(t.id)<<8|1)
	w.recordStart(t)
	if !quiet {
		w.note(name, g, "task started")
	}
	w.makeReady(t)
	return t
}

// A worker is a coroutine that runs tasks one after the other: a task that
// returns hands its goroutine, and the stack that goroutine has grown, to
// the next task started. Starting a goroutine and growing its stack cost
// more than a short task's whole run.
type worker struct {
	next   func() (struct{}, bool)
	stop   func()
	yield  func(struct{}) bool
	t      *task           // the task it runs, nil while it waits in the pool
	g      goroutine       // its goroutine, once started
	label  string          // its pprof label's value; see labelWorker
	labels context.Context // carries the label, for pprof.SetGoroutineLabels
}

// worker returns an idle worker from the pool, or from the Workers shared
// with earlier worlds, or a new one.
func (w *World) worker() *worker {
	if n := len(w.pool); n > 0 {
		wk := w.pool[n-1]
		w.pool[n-1] = nil
		w.pool = w.pool[:n-1]
		return wk
	}
	if wk := w.cfg.Workers.get(); wk != nil {
		return wk
	}
	w.workers++
	wk := &worker{}
	labelWorker(wk)
	w.cfg.Workers.made(wk)
	wk.next, wk.stop = iter.Pull(func(yield func(struct{}) bool) {
		wk.yield = yield
		wk.g = curG()
		for {
			t := wk.t
			t.body()
			wk.t = nil
			// Wait in the pool for the next task, killed or not (kill
			// resumes a task to unwind it, rather than stopping its
			// coroutine); false means the world is over.
			t.w.release(wk)
			if !yield(struct{}{}) {
				return
			}
		}
	})
	return wk
}

// noBubble is the runtime's panic for synctest.Wait outside a synctest
// bubble, and noBubbleHint what a task that calls it should do instead.
const (
	noBubble     = "goroutine is not in a bubble"
	noBubbleHint = ": synctest.Wait has no bubble in a simulation; in a Run's body, check the tasks' work with s.Eventually " +
		"(after s.Quiesce, when faults are on) or sleep past the instant it is due, and in code under test, wait through the providers " +
		"(a Chan, a WaitGroup, p.Time.Sleep)"
)

// release returns an idle worker to the pool.
func (w *World) release(wk *worker) { w.pool = append(w.pool, wk) }

// body runs the task on its worker. It turns the ways a task can end into
// the world's terms: a return, a kill, a FailNow, a panic, or a Goexit.
func (t *task) body() {
	t.started = true
	t.g = t.wk.g
	t.w.setActive(t.g)
	t.yield = t.wk.yield
	t.label()
	normal := false
	defer func() {
		if normal {
			return
		}
		r := recover()
		switch r.(type) {
		case nil:
			// runtime.Goexit: it goes on through iter.Pull to the
			// scheduler, which tears the world down. The failure is
			// made here, where the task and its stack are known.
			t.w.fail(&Failure{Kind: Goexit, Task: t.name, Msg: goexitMsg, Stack: userFrames(callerStack(2))})
			t.finish()
			return
		case killSignal:
		case stopSignal:
			t.w.fail(&Failure{Kind: Stopped, Task: t.name})
		default:
			if t.mute {
				// A crashed process runs no defers outside a simulation
				// (a crash is a power cut or a SIGKILL): what one raises
				// as the task unwinds is no failure of the code's, only
				// a part of the story.
				t.w.note(t.shown(), t.group, t.afterCrash(panicAfterCrash, r, "raised"))
				break
			}
			f := &Failure{Kind: Panic, Task: t.name, Msg: fmt.Sprint(r), Stack: string(debug.Stack())}
			if f.Msg == noBubble && strings.Contains(f.Stack, "testing/synctest.Wait(") {
				f.Msg += noBubbleHint
				f.Misuse = true
			}
			if t.killed {
				// The stack shows the kill's panic under this one; say
				// what it is, or a deferred call's panic reads as the
				// code's own.
				f.Task, f.Msg = t.shown(), t.deferPanicMsg(r)
			}
			if err, ok := r.(error); ok {
				f.Err = err
			}
			t.w.fail(f)
		}
		t.finish()
	}()
	err := t.fn(t.ctx)
	normal = true
	if !t.killed {
		t.fireOnPark() // an end gives up the turn for good
	}
	if t.killed {
		t.swallowed(true)
	}
	t.err = err
	if err != nil && t == t.w.root {
		t.w.fail(&Failure{Kind: RootError, Task: t.name, Msg: err.Error(), Err: err})
	}
	t.finish()
}

// deferPanicMsg says what r is: a panic that a deferred call of t, a
// killed task, raised while the kill unwound it, and that took the kill's
// place.
func (t *task) deferPanicMsg(r any) string {
	return fmt.Sprintf("a deferred call panicked while %s unwound task %q: %v "+
		"(a killed task's defers run, so a defer must not assume that its function finished)", t.killPhrase(), t.shown(), r)
}

// killPhrase names the kill t unwinds from, as the subject of a sentence.
func (t *task) killPhrase() string {
	at := time.Duration(t.killedAt)
	switch {
	case t.w.rootDone:
		return fmt.Sprintf("the kill at the run's end (at %v the root task returned, and every task still alive is killed)", at)
	case t.group != nil && t.group.dead:
		return fmt.Sprintf("the kill of process %s at %v", t.group.name, at)
	}
	return fmt.Sprintf("its kill at %v", at)
}

func (t *task) finish() {
	w := t.w
	t.finished = true
	if t == w.root {
		w.rootDone = true
	}
	t.parked = false // nothing may wake it: its slot goes to a later task
	t.onPark = nil
	if g := t.group; g != nil && g.reader == t {
		g.readerGone(t) // a reader that panicked or was killed ends its turn too
	}
	// A context kept after the task ended (a child's parent, a struct's
	// field) is ownCtx, and keeps the task's allocation: not, then, what
	// its function holds, as a process's holds the whole of its state.
	t.fn = nil
	// Nor the stack it was killed at, read only while it unwound
	// (swallowed): a slice of the world's store of them (keepPCs), it
	// would keep the whole array for as long as anything holds the
	// task, a handle or a timer of a process rebooted long ago.
	t.killPCs = nil
	// Looked at before cancelTask ends the task's context: a task that
	// returns the error of its context, ended, stops as it was asked to.
	stopped := t.err != nil && StoppedByContext(t.ctx, t.err)
	w.cancelTask(t)
	w.unready(t)
	w.unwaitCtx(t)
	w.freeSlot(t)
	w.dropTask(t)
	switch {
	case t.quiet && (t.killed || stopped || finishedMsg(t.err) == "task finished"):
		// A quiet task's end is told only when it returned an error:
		// that line is the error's one trace.
	case t.killed:
		w.note(t.shown(), t.group, "task killed")
	case stopped:
		// The normal way to stop: at a seed's end many tasks do, and
		// their errors crowded the last lines of its timeline.
		w.note(t.shown(), t.group, "task finished")
	default:
		w.note(t.shown(), t.group, finishedMsg(t.err))
	}
	for _, tok := range t.joiners {
		w.wakeToken(tok)
	}
	t.joiners = nil
}

// StoppedByContext reports whether err, which a task returned, is the
// error of its context ctx, which has ended: ctx.Err(), or its cause,
// wrapped or not, as a wait on ctx returns it. That is how a task stops
// when asked to, and the timeline tells it as a plain end.
func StoppedByContext(ctx context.Context, err error) bool {
	cerr := ctx.Err()
	if cerr == nil {
		return false
	}
	return errors.Is(err, cerr) || errors.Is(err, context.Cause(ctx))
}

// finishedMsg is the timeline's line of a task that returned err. An
// error reaches only the task's joiners, and a task that nobody joins
// would drop it without a trace: the line keeps it, where the story of
// the seed is told. It is a log line, not an event, so the trace hash
// does not change with what an error says.
func finishedMsg(err error) string {
	if err == nil {
		return "task finished"
	}
	if _, told := err.(interface{ SimulationTold() }); told {
		return "task finished"
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		msg = strconv.Quote(msg) // one line, as the timeline's lines are
	}
	return "task finished: returned an error: " + msg
}

// park blocks the current task until wake. It returns the wake's error.
func (w *World) park(ctx context.Context, what string) error {
	return w.parkTask(w.current(what), ctx, what)
}

// parkTask is park for t, the current task, which the caller checked.
func (w *World) parkTask(t *task, ctx context.Context, what string) error {
	if t.inOnPark {
		panic(errParkInOnPark)
	}
	// Most waits are on the task's own context: whether it is owned is
	// known, and whether it has ended (t.done, never nil, see waitChan) is
	// looked at only when it may have.
	own, mine := t.owned, sameCtx(ctx, t.ctx)
	var d <-chan struct{}
	if !mine {
		if ctx == nil {
			panic(fmt.Sprintf("sim: %s with a nil context; pass the task's ctx, or a context made from it", what))
		}
		d = w.waitChan(ctx)
		if d != t.lastDone {
			t.lastDone, t.lastOwned = d, w.isOwned(ctx, what)
		}
		own = d == nil || t.lastOwned
	}
	// A context the simulation owns can be done only by one of its own
	// cancel calls: if there was none since the task last found its own
	// context open, it is open still, and its channel, a cold cache line,
	// need not be read.
	if mine && (!own || t.openAt != w.cancels+1) || d != nil {
		if mine {
			d = t.done
		}
		if w.waitEnded(ctx, d) {
			t.waitGen++
			return ctx.Err()
		}
		if mine && own {
			t.openAt = w.cancels + 1
		}
	}
	t.fireOnPark()
	if mine || d != nil {
		// A wait on the task's own context leaves waitCtx alone: it
		// would be a write to a third line of the task, and a pointer
		// for the collector to follow.
		t.waitOwn = mine
		if !mine {
			t.waitCtx = ctx
		}
		t.ctxOwned = own
		if own {
			waitAdd(&w.ownedWaiters, w.ctxPos, t)
			if !mine {
				w.watchCtx(t, ctx)
			}
		} else {
			w.foreignAdd(t, ctx, d) // d is t.done or waitChan(ctx): looked at above
		}
	}
	t.parked = true
	t.what = what
	t.resumed(w, t.yield(struct{}{}))
	return t.woken(ctx)
}

// resumed is what every park does once its yield returns ok: the task
// runs again, or unwinds if it was killed meanwhile. The yield itself
// stays in the park, so that no frame of another lies between the park
// and the coroutine. The park passes its world, t.w, from its own frame:
// t.w lies past the task's first line, the one line of the task that a
// resume reads.
func (t *task) resumed(w *World, ok bool) {
	w.setActive(t.g)
	if !ok || t.killed {
		t.unwind()
	}
}

// woken returns what a park on ctx returns once t is resumed: ctx's
// error if ctx woke it, else nil.
func (t *task) woken(ctx context.Context) error {
	if t.ctxWoke {
		t.ctxWoke = false
		return ctx.Err()
	}
	return nil
}

// fireOnPark calls the task's OnPark function, if one is set, once: the
// task is about to give up its turn.
func (t *task) fireOnPark() {
	if f := t.onPark; f != nil {
		t.onPark = nil
		t.inOnPark = true
		f()
		t.inOnPark = false
	}
}

// errParkInOnPark is the programmer error of an OnPark function that
// blocks: the park it runs in would never be woken.
const errParkInOnPark = "sim: an OnPark function parked (it slept, waited or yielded); it runs inside a park and must not block: start a task for work that waits"

// SameContext is sameCtx, for a caller outside the package that asks
// whether two contexts are one without the panic == gives on a value of
// a type that cannot be compared: a false answer for one context of a
// value type boxed twice sends it down its general path, as here.
func SameContext(a, b context.Context) bool { return sameCtx(a, b) }

// sameCtx reports whether a and b hold the same dynamic type and the
// same data word, which makes them the same context. It is a == without
// the call to the runtime that comparing interfaces makes; a context of a
// value type boxed twice compares unequal here, and the caller then takes
// the general path, which is correct for any context.
func sameCtx(a, b context.Context) bool {
	return *(*[2]uintptr)(unsafe.Pointer(&a)) == *(*[2]uintptr)(unsafe.Pointer(&b))
}

// current returns the running task, or panics with a message naming the
// misuse when called from outside any task.
func (w *World) current(what string) *task {
	// guard's check, written out: a call fewer on every park.
	if a := w.loadActive(); a != notRunning && a != curG() {
		w.strayCall(what)
	}
	t := w.cur
	if t == nil {
		// A goroutine the world does not run is a stray, which guard
		// caught: this is the world's own goroutine, or any before Run.
		switch w.state {
		case finished:
			panic(w.outlived(what))
		case running:
			panic(fmt.Sprintf("sim: %s outside any task, in code the scheduler runs between steps (an Invariant's or an Eventually's check, "+
				"an event's callback), which must not wait: wait in a task (p.Task.Go starts one)", what))
		}
		panic(fmt.Sprintf("sim: %s before the simulation began; only its tasks may wait on it: call it from the body or a task it starts", what))
	}
	if w.abandoned.Load() {
		w.givenUp(t)
	}
	if t.killed { // mute, which enter checks, is never set without killed
		t.unwind()
	}
	return t
}

// wake makes a parked task ready; its park returns nil.
func (w *World) wake(t *task) {
	if !t.parked {
		return
	}
	t.parked = false
	t.waitGen++
	if i := w.ctxPos[t.slot]; i >= 0 {
		// unwaitCtx, without a call of its own for a sleep's wait
		if t.waitOwn && t.ctxOwned {
			waitRemove(&w.ownedWaiters, w.ctxPos, int(i))
		} else {
			w.unwaitOther(t, i)
		}
	}
	unschedule(&t.sleep)
	w.makeReady(t)
}

func (w *World) makeReady(t *task) {
	if w.paused != 0 && t.group != nil && t.group.paused {
		t.group.held = append(t.group.held, t)
		return
	}
	w.addReady(t)
}

// addReady puts t in the ready list.
func (w *World) addReady(t *task) {
	w.readyStep[t.slot] = w.steps
	listAdd(&w.ready, w.readyPos, t)
}

// isReady reports whether t is in the ready list.
func (w *World) isReady(t *task) bool { return w.readyPos[t.slot] >= 0 }

// unready takes t out of the ready list, if it is in it.
func (w *World) unready(t *task) {
	if i := w.readyPos[t.slot]; i >= 0 {
		listRemove(&w.ready, w.readyPos, int(i))
	}
}

// unwaitCtx takes t out of its list of context waiters, if it is in one.
func (w *World) unwaitCtx(t *task) {
	if i := w.ctxPos[t.slot]; i >= 0 {
		w.unwaitAt(t, i)
	}
}

// unwaitAt takes t out of its list of context waiters, where it stands at
// i. Wake has the short path for a wait on the task's own owned context
// (every sleep's) in line.
func (w *World) unwaitAt(t *task, i int32) {
	if t.waitOwn && t.ctxOwned {
		waitRemove(&w.ownedWaiters, w.ctxPos, int(i))
		return
	}
	w.unwaitOther(t, i)
}

// unwaitOther is unwaitAt for every wait but one on the task's own owned
// context.
func (w *World) unwaitOther(t *task, i int32) {
	if !t.ctxOwned {
		w.foreignRemove(int(i))
	} else {
		waitRemove(&w.ownedWaiters, w.ctxPos, int(i))
	}
	if !t.waitOwn {
		if t.ctxOwned {
			w.unwatchCtx(t)
		}
		t.waitCtx = nil
	}
}

// cancelTask cancels t's context; owned waiters are polled for it. The
// context of a finished task, which no longer waits on it, may be quiet
// (see simContext.quiet): a task's end then costs no poll.
func (w *World) cancelTask(t *task) {
	if c, ok := t.ctx.(*simContext); ok {
		quiet := t.finished && c.quiet()
		if !c.cancel(ctxCanceled, true) || quiet {
			return
		}
	} else {
		t.cancel()
	}
	w.cancelOwned()
}

// cancelOwned notes that a context the simulation owns may have been
// cancelled: its waiters are polled, and no task takes its own context
// to be open without looking (see park).
func (w *World) cancelOwned() {
	w.cancelled = true
	w.cancels++
}

// kill stops t at once. A parked or ready task unwinds from where it stands
// (its defers run); the current task unwinds by panicking.
func (w *World) kill(t *task) {
	if t.finished {
		return
	}
	t.killed = true
	t.mute = t.group != nil && t.group.crashed
	w.unready(t)
	w.unwaitCtx(t)
	unschedule(&t.sleep)
	t.killedAt = w.now
	if t == w.cur {
		t.unwind()
	}
	if !t.started {
		t.wk.t = nil
		w.release(t.wk)
		t.finish()
		return
	}
	// Resumed, the task's parked call sees it killed and unwinds; the
	// worker then waits in the pool for another task. Stopping the
	// coroutine would end its goroutine, and a new one, with its stack
	// (and under -race its detector state), would be made for a later
	// task.
	prev, a := w.cur, w.loadActive()
	w.cur = t
	w.publish(t) // the watchdog names the killed task while it unwinds
	w.killing.Store(true)
	exited := true
	defer func() {
		if exited {
			// The task's Goexit (a kill it recovered, then a call into
			// the world: swallowed) came back through next. It ends this
			// goroutine too, on its way to the world's, and the calls
			// into the world that the defers on the way make are its
			// own, not a stray goroutine's (strayCall).
			w.strays.exiting.Store(uintptr(curG()))
		}
	}()
	t.wk.next()
	exited = false
	w.killing.Store(false)
	w.kills.Add(1) // progress for the watchdog, as a step is
	w.cur = prev
	w.setActive(a)
	w.publish(prev)
}

// FailNow ends the run as failed, from inside a task: the failure must have
// been recorded by the caller (a test's Errorf). It does not return.
func (w *World) FailNow() {
	w.current("FailNow")
	panic(stopSignal{})
}

// Kill kills the task of h, which must come from this world's Task provider.
func (w *World) Kill(h providers.Handle) {
	w.enter("Kill")
	t, ok := h.(*task)
	if !ok || t == nil || t.w != w {
		panic(fmt.Sprintf("sim: Kill of %s, not a task of this world; pass a Handle that this world's Task provider returned", describeHandle(h)))
	}
	w.kill(t)
}

// describeHandle names h for a misuse report.
func describeHandle(h providers.Handle) string {
	if t, ok := h.(*task); ok && t != nil {
		return fmt.Sprintf("task %q of another world", t.name)
	}
	return fmt.Sprintf("a %T", h)
}

// waitToken is the token of t's next wait: its slot, found at once by
// wakeToken, and its wait generation, which its slot's later tasks go on
// from (slotGen).
func (t *task) waitToken() providers.WaitToken {
	return providers.WaitToken(uint64(uint32(t.slot))<<32 | uint64(t.waitGen))
}

func (w *World) wakeToken(tok providers.WaitToken) bool {
	slot, gen := uint64(tok>>32), uint32(tok)
	if slot >= uint64(len(w.slotTask)) {
		return false
	}
	t := w.slotTask[slot]
	if t == nil || !t.parked || t.waitGen != gen {
		return false
	}
	w.wake(t)
	return true
}

// Handle methods.

func (t *task) Name() string { return t.name }
func (t *task) Cancel()      { t.w.enter("Handle.Cancel"); t.w.cancelTask(t) }

// joinWhat is what a task parked in Join waits on; a report adds which
// task it joins (World.joinNote).
const joinWhat = "task join"

func (t *task) Join(ctx context.Context) error {
	if t.finished {
		return t.result()
	}
	w := t.w
	t.joiners = append(t.joiners, (*taskProvider)(w).WaitToken())
	if err := w.park(ctx, joinWhat); err != nil {
		return err
	}
	return t.result()
}

// result is what Join gives for t, which has ended: its function's error,
// or, for a task that was killed, an error wrapping providers.ErrKilled.
// A nil would tell the joiner that the function finished, which it did
// not (a killed task that recovered the kill and returned fails the run,
// and is killed all the same).
func (t *task) result() error {
	if t.killed {
		return fmt.Errorf("task %s: %w (%s)", t.name, providers.ErrKilled, t.killPhrase())
	}
	return t.err
}
