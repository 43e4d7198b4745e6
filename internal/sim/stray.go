package sim

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A stray goroutine is one the simulation does not run: started with a go
// statement (by a task, by a library such as net/http, or by the test
// itself) rather than through the Task provider. Exactly one of the
// simulation's goroutines runs simulation code at a time, the running
// task's worker or the scheduler; a stray goroutine that called in would
// run beside it, race on the world's state, and borrow the running task's
// identity. So every call into the simulation first compares the calling
// goroutine with the one whose turn it is (enter), and a stray call fails
// the run with kind Stray and ends the stray goroutine with runtime.Goexit:
// its deferred calls run, and a panic, which would end the test binary, is
// avoided. A stray call after the run ended fails nothing the run reports,
// and goes to OnLateStray instead.

const (
	notRunning goroutine = 0             // before Run: every goroutine may call in
	runEnded             = ^goroutine(0) // after Run: every goroutine is stray
)

// strays is the world's record of whose turn it is and of stray calls.
type strays struct {
	// active is the goroutine whose turn it is, or notRunning or runEnded.
	// It is written only by the goroutine that takes its turn, and read by
	// every caller; see setActive for why plain loads and stores do.
	active goroutine
	sched  goroutine // the scheduler's goroutine, during Run
	// goroutines is how many goroutines the process had when Run began.
	goroutines int

	seen atomic.Bool // a stray call was recorded; the scheduler takes it
	// exiting is the goroutine of a task that a killed task's Goexit
	// came back through (kill), on its way to the world's goroutine.
	exiting atomic.Uintptr
	// called is closed when the first stray call is recorded: a failed
	// run that waits for one (settleStrays) hears of it at once.
	called chan struct{}
	mu     sync.Mutex
	f      *Failure // the first stray call during the run
	over   bool     // the run ended: later stray calls are late
	late   func(*Failure)
	// owner names the run in what a call after its end is told, or is
	// "" (SetOwner).
	owner string
}

// finalizerFix is the fix for a finalizer or a cleanup that called into
// the simulation.
const finalizerFix = "release what the simulation made (a connection, a file) explicitly, from a task, as the code's Close does, " +
	"and let finalizers and cleanups touch nothing of the simulation"

// The fix, in the words every stray report ends with.
const strayFix = "start it with the Task provider (p.Task.Go); for net/http, serve and dial through adapters that run connections as tasks; a library that starts goroutines of its own (grpc-go) runs in a program (docs/programs.md)"

// enter is called at the start of every call into the simulation. It
// returns at once on the goroutine whose turn it is, and never on a stray
// one.
func (w *World) enter(what string) {
	// guard's check, written out: a call fewer on every provider call.
	if a := w.loadActive(); a != notRunning && a != curG() {
		w.strayCall(what)
	}
	if c := w.cur; c != nil && c.mute {
		c.unwind()
	}
}

// guard is enter without unwinding a crashed group's task: for a
// primitive's own bookkeeping (a Wake), which the primitive does while
// such a task unwinds out of it, after its entry point let it in.
func (w *World) guard(what string) {
	if a := w.loadActive(); a != notRunning && a != curG() {
		w.strayCall(what)
	}
}

// Enter is enter for the devices and the primitives (Parker):
// they call it before they touch their own state. A task of a crashed
// group (Group.Crash) unwinds there at once, so that the code its defers
// run while it unwinds acts on nothing: a deferred Close, Write or Send of
// a dead process never reaches the world.
func (w *World) Enter(what string) { w.enter(what) }

// Guard is Enter without the unwinding: for a device's bookkeeping on
// behalf of a process that may be dying, which must still act (the
// stores a program made into a shared mapping before its death reach the
// page cache).
func (w *World) Guard(what string) { w.guard(what) }

// EnterOp is Enter for operation op of a device's kind of object ("file",
// "read"), which names the call as "file read" only in a report.
func (w *World) EnterOp(kind, op string) {
	if a := w.loadActive(); a != notRunning && a != curG() {
		w.strayCall(kind + " " + op)
	}
	if c := w.cur; c != nil && c.mute {
		c.unwind()
	}
}

// startTurns makes the calling goroutine the scheduler's, at the start of
// Run.
func (w *World) startTurns() {
	w.strays.sched = curG()
	w.strays.called = make(chan struct{})
	w.setActive(w.strays.sched)
	w.strays.goroutines = runtime.NumGoroutine()
}

// A failed run waits for the goroutines its tasks started with go
// statements to call into it: for strayGrace while they wait (on a
// channel, a lock, real I/O, a wall-clock sleep), and on while one of them
// is runnable or running, for up to strayLimit. A goroutine that is
// runnable has not had its turn on a processor yet, which on a loaded
// machine can take longer than any fixed grace; one that waits has had
// its turn, and calls in only if something outside the simulation wakes
// it. strayLimit bounds the wait for a goroutine that computes, or spins,
// and never calls in.
const (
	strayGrace = 100 * time.Millisecond
	strayLimit = 5 * time.Second
)

// settleStrays gives the stray goroutines that the run's tasks started a
// chance to call in before the run ends. A goroutine started with a go
// statement runs on the wall clock beside the simulation, which may end,
// or deadlock for want of what the goroutine would have done, before the
// goroutine made its first call. A run that passes costs a goroutine count
// and, when the process has more goroutines than at the start plus the
// workers made since, a few yields of the processor, to the goroutines
// waiting for it. A run that failed looks for the goroutines its tasks
// started (they carry the pprof label of a task's worker) and waits for
// one to call in, as long as strayGrace and strayLimit allow.
func (w *World) settleStrays() {
	if w.takeStray() {
		return
	}
	if w.failure != nil {
		// A count that could not be taken is not none: the stray may
		// yet call in.
		if n, _, looked := w.taskGoroutines(); n == 0 && looked {
			return
		}
		if w.awaitStray() {
			return
		}
		if w.failure.Kind == Deadlock {
			// Scanned again: a goroutine that had not begun to run
			// shows no stack.
			n, stack, _ := w.taskGoroutines()
			if n == 0 {
				return
			}
			w.failure.Msg += fmt.Sprintf("\n%d goroutine(s) started by the run's tasks (with go statements, context.AfterFunc or time.AfterFunc) are alive, "+
				"and the simulation cannot wait for what they do: if one of them was to wake a task, %s. One of them:\n\t%s",
				n, strayFix, strings.ReplaceAll(userFrames(stack), "\n", "\n\t"))
		}
		return
	}
	if runtime.NumGoroutine() <= w.strays.goroutines+w.workers {
		return
	}
	for range 3 {
		runtime.Gosched()
		if w.takeStray() {
			return
		}
	}
}

// awaitStray waits for a stray call, which it takes, for strayGrace, and
// past it while a goroutine that the run's tasks started is yet to have
// its turn (strayRunnable), up to strayLimit.
func (w *World) awaitStray() bool {
	start := time.Now()
	wait := time.NewTimer(strayGrace)
	defer wait.Stop()
	for {
		select {
		case <-w.strays.called:
			return w.takeStray()
		case <-wait.C:
		}
		if time.Since(start) >= strayLimit || !strayRunnable() {
			return w.takeStray()
		}
		wait.Reset(strayGrace / 10)
	}
}

// strayRunnable reports whether a goroutine started by a task (or by such
// a goroutine, and so on) is runnable or running: it may yet call in. A
// task's worker is known by its frame, and the goroutines it started by
// the creator their stack trace names. Workers of other worlds count
// too, which can only lengthen the wait, and so does a stack trace that
// could not be taken (stopWorld): up to strayLimit.
func strayRunnable() bool {
	gs := goroutines()
	if gs == nil {
		return true
	}
	started := make(map[int64]bool) // workers, and the goroutines they started
	for _, g := range gs {
		if strings.Contains(g.stack, workerFrame) {
			started[g.id] = true
		}
	}
	for grew := true; grew; {
		grew = false
		for _, g := range gs {
			if !started[g.id] && started[g.creator] {
				started[g.id], grew = true, true
			}
		}
	}
	for _, g := range gs {
		if started[g.id] && !strings.Contains(g.stack, workerFrame) && (g.state == "runnable" || g.state == "running") {
			return true
		}
	}
	return false
}

// taskGoroutines counts the live goroutines started by the run's tasks
// with go statements: goroutines that carry the label of one of the run's
// workers but are not a worker. It returns the stack of one of them, as
// "function\n\tfile:line" lines, and whether it could look
// (labelledGoroutines).
func (w *World) taskGoroutines() (n int, stack string, looked bool) {
	labels := make(map[string]bool)
	for t := range w.liveTasks() {
		labels[t.wk.label] = true
	}
	for _, wk := range w.pool {
		labels[wk.label] = true
	}
	return labelledGoroutines(labels, nil)
}

// labelledGoroutines counts the live goroutines that carry one of labels
// (a worker's) but are not a worker: goroutines that tasks started with
// go statements, and those these started. It returns the stack of one of
// them, as "function\n\tfile:line" lines. looked is false, and n 0,
// when it could not look: a program's code ran that would hold the
// profile's stop of the world (stopWorld). Goroutines whose stack allowed,
// when not nil, accepts are left out.
func labelledGoroutines(labels map[string]bool, allowed func(stack string) bool) (n int, stack string, looked bool) {
	var lineage map[string][]string
	var buf bytes.Buffer
	if !stopWorld(func() { _ = pprof.Lookup("goroutine").WriteTo(&buf, 1) }) {
		return 0, "", false
	}
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		_, rest, ok := strings.Cut(rec, `"`+labelKey+`":"`)
		if !ok {
			continue
		}
		label, _, _ := strings.Cut(rest, `"`)
		if !labels[label] || strings.Contains(rec, workerFrame) || unstartedWorker(rec) {
			continue
		}
		frames := recordFrames(rec)
		if allowed != nil && allowed(frames) {
			continue
		}
		if allowed != nil {
			if lineage == nil {
				lineage = lineages()
			}
			if slices.ContainsFunc(lineage[funcKey(frames)], allowed) {
				continue
			}
		}
		// A profile record counts the goroutines that share its stack:
		// "1 @ 0x...".
		count, _, _ := strings.Cut(rec, " @ ")
		count = count[strings.LastIndexByte(count, '\n')+1:] // the first record follows the profile's header
		k, err := strconv.Atoi(count)
		if err != nil {
			k = 1
		}
		n += k
		if stack == "" {
			stack = frames
		}
	}
	return n, stack, true
}

// lineages maps the functions of each goroutine's stack (funcKey) to its
// lineage: the functions whose go statements started it and its
// ancestors, and the stacks of those ancestors that still run, as
// function lines, one lineage for each goroutine of that stack. A
// profile's record names no creator; a stack trace of all goroutines
// does, but has no labels, so the two are matched by their functions.
// allowed in labelledGoroutines then lets be the goroutines that an
// allowed one started (a library janitor's helper).
func lineages() map[string][]string {
	gs := goroutines()
	byID := make(map[int64]*dumpedG, len(gs))
	for i := range gs {
		byID[gs[i].id] = &gs[i]
	}
	out := make(map[string][]string, len(gs))
	for i := range gs {
		var b strings.Builder
		g := &gs[i]
		for depth := 0; g != nil && g.createdBy != "" && depth < 64; depth++ {
			b.WriteString(g.createdBy + "\n")
			if g = byID[g.creator]; g != nil {
				b.WriteString(g.stack + "\n")
			}
		}
		k := funcKey(gs[i].stack)
		out[k] = append(out[k], b.String())
	}
	return out
}

// funcKey is the functions of a stack of "function\n\tfile:line" lines,
// but the runtime's, which a profile shows and a stack trace hides.
func funcKey(stack string) string {
	var fns []string
	for line := range strings.SplitSeq(stack, "\n") {
		if line == "" || line[0] == '\t' || strings.HasPrefix(line, "runtime.") || strings.HasPrefix(line, "internal/runtime") {
			continue
		}
		fns = append(fns, line)
	}
	return strings.Join(fns, "\n")
}

// recordFrames is the stack of rec, a goroutine profile's record, as
// "function\n\tfile:line" lines.
func recordFrames(rec string) string {
	var frames []string
	for _, line := range strings.Split(rec, "\n") {
		// "#\t0x51bed0\tpkg.fn+0xb0\t/path/file.go:851"
		if f := strings.Split(line, "\t"); len(f) >= 4 && f[0] == "#" {
			fn, _, _ := strings.Cut(f[2], "+0x")
			frames = append(frames, fn, "\t"+strings.TrimSpace(f[len(f)-1]))
		}
	}
	return strings.Join(frames, "\n")
}

// unstartedWorker reports whether rec, a goroutine profile's record, is a
// worker whose task never took a step: its goroutine is still at the
// coroutine's start (runtime.corostart), with the label of the task that
// started it, and no frame of the worker's loop yet. (A goroutine of a go
// statement that has not begun to run is no worker, and counts.)
func unstartedWorker(rec string) bool {
	corostart := false
	for line := range strings.SplitSeq(rec, "\n") {
		// "#\t0x51bed0\tpkg.fn+0xb0\t/path/file.go:851"
		f := strings.Split(line, "\t")
		if len(f) < 4 || f[0] != "#" {
			continue
		}
		if !strings.HasPrefix(f[2], "runtime.") {
			return false
		}
		corostart = corostart || strings.HasPrefix(f[2], "runtime.corostart")
	}
	return corostart
}

// endTurns ends the run for stray calls: later ones are late.
func (w *World) endTurns() {
	w.setActive(runEnded)
	w.strays.mu.Lock()
	w.strays.over = true
	w.strays.mu.Unlock()
}

// takeStray fails the run with the first stray call, if one was made. The
// scheduler calls it between steps and at the end of Run: a stray call is
// the cause of whatever else went wrong, so it replaces an earlier
// failure.
func (w *World) takeStray() bool { return w.strays.seen.Load() && w.adoptStray() }

func (w *World) adoptStray() bool {
	w.strays.mu.Lock()
	f := w.strays.f
	w.strays.mu.Unlock()
	if f == nil || w.failure == f {
		return f != nil
	}
	w.failure = nil
	w.fail(f)
	return true
}

// strayed builds the result of a run given up by the watchdog when a stray
// call was made: a task that waits outside the simulation for a stray
// goroutine (on a raw channel, say) waits for a goroutine that the stray
// call ended. It runs on the watcher's goroutine, and reads only what the
// lock guards, what never changes during the run, and what the watchdog
// reads (publishedCounts, and the trace hash that publish stored, as
// escaped does: a trace of zero would name no run). The failure is a copy
// stamped with the simulated time, made field by field: the world's
// goroutine, should it come back, may stamp the original's At in fail.
func (w *World) strayed() (Result, bool) {
	w.strays.mu.Lock()
	f := w.strays.f
	w.strays.mu.Unlock()
	if f == nil {
		return Result{}, false
	}
	progress, events, now := w.publishedCounts()
	stamped := Failure{Kind: f.Kind, Task: f.Task, At: time.Duration(now), Msg: f.Msg, Stack: f.Stack, Err: f.Err}
	return w.publishedResult(progress, events, now, &stamped), true
}

// SetOwner names the run, as "seed 42 of the simtest.Run in TestX", in
// what a call after its end is told: the panic of a call on the test's
// own goroutine, and the error of a device's call (EnterUnlessEnded).
// Call it before
// Run.
func (w *World) SetOwner(owner string) { w.strays.owner = owner }

// EnterUnlessEnded is Enter for a call on what the simulation made (a
// connection's read, a listener's Accept, a Close, a storage call, a dial
// or a listen), with
// closed the error a closed one returns (net.ErrClosed, fs.ErrClosed): it
// returns Outlived's error, or enters and returns nil.
func (w *World) EnterUnlessEnded(what string, closed error) error {
	if err := w.Outlived(closed); err != nil {
		return err
	}
	w.enter(what)
	return nil
}

// Outlived returns, for a call on the test's own goroutine after the run
// ended, an error that wraps closed (net.ErrClosed, fs.ErrClosed) and
// names the run and the fix; otherwise nil, and the call goes on to
// Enter. The devices call it first in each operation on what the
// simulation made (a connection's read, write or deadline, a file's read,
// write, sync or stat, a Close): a test's cleanups (t.Cleanup) run after
// every seed has ended, and a panic there would stop the test binary. The
// value is as good as closed, and fails as a closed one does in
// production, at once: a read has no simulation left to wait in.
func (w *World) Outlived(closed error) error {
	if w.loadActive() == runEnded && onTestStack(string(debug.Stack())) {
		return fmt.Errorf("%w: the simulation it belonged to (%s) has ended; %s", closed, w.runName(), closeFix)
	}
	return nil
}

// closeFix is where a cleanup that uses what a seed made belongs.
const closeFix = "register the cleanup that uses it with s.Cleanup, which runs at the seed's end " +
	"(or give the helper that registers it the body's s), not with the test's t.Cleanup, which runs after every seed has ended"

// runName names the run, as SetOwner named it, for a report of a call
// after its end.
func (w *World) runName() string {
	if w.strays.owner == "" {
		return "the simulation"
	}
	return w.strays.owner
}

// outlived is the panic of call what, made on the test's own goroutine
// after the run ended.
func (w *World) outlived(what string) string {
	run := ""
	if w.strays.owner != "" {
		run = " (" + w.strays.owner + ")"
	}
	return fmt.Sprintf("sim: %s after the simulation ended%s; %s", what, run, outlivedFix)
}

// onTestStack reports whether raw, a goroutine's stack trace, is of a
// test's own goroutine (testing's tRunner), its cleanups included.
func onTestStack(raw string) bool { return strings.Contains(raw, "\ntesting.tRunner(") }

// OnLateStray sets fn to hear of stray calls made after the run ended,
// which no Result can report any more; fn runs on the stray goroutine,
// which ends when fn returns. Without it, a late stray call is written to
// standard error.
func (w *World) OnLateStray(fn func(*Failure)) { w.strays.late = fn }

// outlivedFix says what is wrong with a call into a simulation that has
// ended, and what to do instead.
const outlivedFix = "a value it made (its S, providers, connections, files) outlived it: use such values only while the seed runs; " +
	"a cleanup that uses one registers with s.Cleanup, which runs at the seed's end (or the helper that registers it takes the body's s), " +
	"not with the test's t.Cleanup, which runs after every seed has ended"

// strayCall records a stray call and ends the calling goroutine.
func (w *World) strayCall(op string) {
	if g := w.strays.exiting.Load(); g != 0 && goroutine(g) == curG() {
		// A defer of the task that killed, on the way of the killed
		// task's Goexit, which the turn did not follow: the Goexit goes
		// on, and the run fails as the killed task made it.
		runtime.Goexit()
	}
	what := strings.Clone(op) // op does not escape: callers may build it on their stack
	raw := string(debug.Stack())
	stack := strayStack(raw)
	started, fix := strayOrigin(raw)
	f := &Failure{
		Kind: Stray,
		Msg: fmt.Sprintf("a goroutine that the simulation does not run called into it (%s): %s, "+
			"and only tasks may call into the simulation; %s", what, started, fix),
		Stack: stack,
	}
	st := &w.strays
	st.mu.Lock()
	late := st.over
	if late {
		// The scheduler is done with the world: its time is final.
		f.At = time.Duration(w.now)
		f.Msg = "after the run ended, " + f.Msg
	} else if st.f == nil {
		st.f = f
		st.seen.Store(true)
		close(st.called)
	}
	lateFn := st.late
	st.mu.Unlock()
	onTest := onTestStack(raw)
	switch {
	case onTest && late:
		// A test's own goroutine, after the run: the test kept a value
		// of the simulation. A Goexit would end the test binary with a
		// message that names nothing; a panic names the test and the
		// misuse.
		panic(w.outlived(what))
	case onTest && strings.Contains(raw, "\ncreated by testing/synctest."):
		panic(fmt.Sprintf("sim: a synctest bubble called into a running simulation (%s); only the simulation's tasks may: "+
			"synctest.Test inside a simulation's body runs its function on a goroutine of its own, in a bubble of its own: "+
			"run synctest.Test outside simtest.Run, and in the body call the code directly (docs/production.md, Coming from testing/synctest)", what))
	case onTest:
		panic(fmt.Sprintf("sim: a test's goroutine called into a running simulation (%s); only the simulation's tasks may: call it from the body, or from a task the body starts (p.Task.Go). "+
			"t.Run inside the body runs its function on such a goroutine: put t.Run around simtest.Run instead, a Run for each subtest", what))
	case strings.Contains(raw, workerFrame):
		// A task of another world: its engine recovers the panic and
		// fails that run, where a Goexit would end its scheduler.
		panic(fmt.Sprintf("sim: a task called into another simulation (%s); a value made by one simulation leaked into another: make such values in each run, not once for all of them (in a package variable, a sync.Once)", what))
	case late && lateFn != nil:
		lateFn(f)
	case late:
		fmt.Fprintf(os.Stderr, "sim: seed %d: %v\n%s\n", w.cfg.Seed, f, stack)
	}
	runtime.Goexit()
}

// strayOrigin says how the goroutine of the stack trace raw was started,
// from its "created by" line, and what to do instead: the calls that run a
// function on a goroutine of their own (context.AfterFunc, time.AfterFunc)
// are named, as the code that made them has no go statement; any other
// goroutine was started by a go statement, in the code it names, the
// user's or a library's.
func strayOrigin(raw string) (started, fix string) {
	// The runtime's own goroutines show no "created by" line; these run
	// the user's functions under frames of their own.
	switch {
	case strings.Contains(raw, "\nruntime.runFinalizers(") || strings.Contains(raw, "\nruntime.runfinq("):
		return "it is the runtime's finalizer goroutine, running a function given to runtime.SetFinalizer when the garbage collector chose to, " +
				"which no seed decides; the call ends that goroutine, and no finalizer of this test binary runs after it",
			finalizerFix
	case strings.Contains(raw, "\nruntime.runCleanups("):
		return "it is a goroutine of the runtime's that runs the functions given to runtime.AddCleanup when the garbage collector chose to, " +
				"which no seed decides; the call ends that goroutine, and later cleanups of this test binary may never run",
			finalizerFix
	}
	i := strings.LastIndex(raw, "\ncreated by ")
	if i < 0 {
		return "it was not started by the simulation", strayFix
	}
	fn, _, _ := strings.Cut(raw[i+len("\ncreated by "):], "\n")
	fn, _, _ = strings.Cut(fn, " in goroutine ")
	switch {
	case strings.HasPrefix(fn, "context.(*afterFuncCtx)"), strings.HasPrefix(fn, "context.AfterFunc"):
		return "it was started by context.AfterFunc, which runs its function on a goroutine of its own once the context is done",
			"instead, start a task with p.Task.Go(ctx, name, fn) that waits on ctx with a provider call (providers.Wait(ctx, p.Task) returns once ctx is done) and then does the work"
	case fn == "time.goFunc" && strings.Contains(raw, "\nnet/http/httputil.(*maxLatencyWriter)."):
		return "it was started by httputil.ReverseProxy, which flushes a streamed answer (one without a Content-Length, or text/event-stream), " +
				"or any answer under a FlushInterval, from a time.AfterFunc timer of its own, on the wall clock",
			reverseProxyFix
	case fn == "time.goFunc":
		return "it was started by time.AfterFunc, which runs its function on a goroutine of its own",
			"use p.Time.AfterFunc(d, f), which runs f in a task of its own"
	case strings.HasPrefix(fn, "net/http.(*timeoutHandler).ServeHTTP"):
		return "it was started by http.TimeoutHandler, which runs the handler on a goroutine of its own under a deadline on the wall clock",
			timeoutHandlerFix
	case testifyWait(fn):
		return "it was started by testify's " + fn[strings.LastIndex(fn, "/")+1:] + ", which runs its condition on a goroutine of its own and waits on the wall clock, " +
				"while simulated time stands still",
			eventuallyFix
	}
	return "it was started by a go statement in " + fn, strayFix
}

// testifyWait reports whether fn, the function a goroutine was started
// in, is one of testify's waits on the wall clock (Eventually,
// EventuallyWithT, Never), which run their condition on a goroutine of
// their own. require's call assert's.
func testifyWait(fn string) bool {
	_, name, ok := strings.Cut(fn, "github.com/stretchr/testify/assert.")
	return ok && (strings.HasPrefix(name, "Eventually") || strings.HasPrefix(name, "Never"))
}

// timeoutHandlerFix and reverseProxyFix are the fixes for the net/http
// wrappers that start goroutines of their own in a handler served by
// simhttp.
const (
	timeoutHandlerFix = "wrap the handler with simhttp.TimeoutHandler(p, h, dt, msg) instead, which runs it in a task and times it on p.Time, " +
		"in a simulation and in production (docs/http.md)"
	reverseProxyFix = "in a simulation, proxy a streamed answer with a handler of your own: send the request with a simhttp.Transport " +
		"and copy the answer's body, calling http.NewResponseController(w).Flush after each write (docs/http.md)"
)

// eventuallyFix is the fix for testify's waits in a simulation.
const eventuallyFix = "in a simulation, check a condition over simulated time with S.Eventually (a check that reads state, on the scheduler), " +
	"or retry a call in the body or a task with s.Sleep between tries, not with testify's Eventually, EventuallyWithT or Never"

// strayStack trims a debug.Stack trace to the stray goroutine's own frames,
// as "function\n\tfile:line" lines: it drops the first line, the engine's
// frames on top, and the arguments and offsets.
func strayStack(raw string) string {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "goroutine ") {
		_, raw, _ = strings.Cut(raw, "\n")
	}
	frames := StackFrames(raw)
	for len(frames) > 0 && (strings.HasPrefix(frames[0].Func, "runtime/debug.") || isEngineFrame(frames[0].Func, frames[0].Loc)) {
		frames = frames[1:]
	}
	lines := make([]string, 0, 2*len(frames))
	for _, f := range frames {
		lines = append(lines, f.Func, "\t"+f.Loc)
	}
	return strings.Join(lines, "\n")
}

// OnTurn reports whether the calling goroutine is the one whose turn it
// is in the running world: the running task's or the scheduler's. State
// kept per world outside the engine (such as a Run's crypto/rand streams,
// one per seed) finds the world of a call with it.
func (w *World) OnTurn() bool {
	a := w.loadActive()
	return a != notRunning && a != runEnded && a == curG()
}
