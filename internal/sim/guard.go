package sim

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/moonpool-go/moonpool/providers"
)

// labelKey is the pprof label that names a worker's goroutine, so that
// reports can find the stack of the task it runs in a goroutine profile. A
// label costs a tenth of reading the goroutine's id from its own stack
// trace, and task starts are frequent.
const labelKey = "moonpool-task"

// labelWorker gives wk its label, in whichever world it runs (workers
// move between worlds): its address, which no other live worker shares,
// and a random number, since a goroutine that one of its tasks started
// keeps the label after the worker is gone, and a later worker may be
// allocated at the same address. The label names nothing in a trace.
func labelWorker(wk *worker) {
	wk.label = fmt.Sprintf("%p-%x", wk, rand.Uint64())
	wk.labels = pprof.WithLabels(context.Background(), pprof.Labels(labelKey, wk.label))
}

// label labels the calling goroutine, t's worker's, with the worker's
// label. The label is made once per worker, and setting it is a pointer
// store; it is set at every task start, not once per worker, because a
// task may relabel its goroutine (pprof.Do ends by restoring the labels of
// the context it was given, which lack ours), and that must not hide the
// stacks of the tasks the worker runs later.
func (t *task) label() {
	if t.w.cfg.NameTasks {
		pprof.SetGoroutineLabels(pprof.WithLabels(t.wk.labels, pprof.Labels(nameLabelKey, t.name)))
		return
	}
	pprof.SetGoroutineLabels(t.wk.labels)
}

// nameLabelKey is the pprof label that names the task a goroutine runs,
// under Config.NameTasks.
const nameLabelKey = "moonpool-name"

// workerFrame is in the stack of every worker's goroutine: the loop of
// World.worker.
const workerFrame = "/internal/sim.(*World).worker.func"

// bodyFrame is in the stack of a worker's goroutine while it runs a task.
const bodyFrame = "/internal/sim.(*task).body"

// stacks returns the stack of every labelled worker goroutine, by label, as
// "function\n\tfile:line" lines, read from the goroutine profile. A
// goroutine started by a task inherits its worker's label: the stack that
// holds the worker's own frame wins over it. It returns nil, could not
// look, while a program's code runs that would hold the profile's stop of
// the world (stopWorld).
func stacks() map[string]string {
	var buf bytes.Buffer
	if !stopWorld(func() { _ = pprof.Lookup("goroutine").WriteTo(&buf, 1) }) {
		return nil
	}
	out := make(map[string]string)
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		var label string
		var frames []string
		worker := false
		for _, line := range strings.Split(rec, "\n") {
			switch {
			case strings.HasPrefix(line, "# labels: "):
				_, rest, ok := strings.Cut(line, `"`+labelKey+`":"`)
				if ok {
					label, _, _ = strings.Cut(rest, `"`)
				}
			case strings.HasPrefix(line, "#\t"):
				// "#\t0x51bed0\tpkg.fn+0xb0\t/path/file.go:851"
				f := strings.Split(line, "\t")
				if len(f) >= 4 {
					fn, _, _ := strings.Cut(f[2], "+0x")
					frames = append(frames, fn+"\n\t"+strings.TrimSpace(f[len(f)-1]))
					worker = worker || strings.Contains(fn, workerFrame)
				}
			}
		}
		if _, seen := out[label]; label != "" && (worker || !seen) {
			out[label] = strings.Join(frames, "\n")
		}
	}
	return out
}

// userFrames drops the frames of the engine, the providers and the runtime
// from a stack so that a report shows the task's own code.
func userFrames(stack string) string {
	if own := ownFrames(stack); own != "" {
		return own
	}
	return stack
}

// ownFrames is userFrames without its fallback: "" when the stack holds
// no frame of the task's own code.
func ownFrames(stack string) string {
	lines := strings.Split(stack, "\n")
	var out []string
	for i := 0; i+1 < len(lines); i += 2 {
		fn, loc := lines[i], lines[i+1]
		if isEngineFrame(fn, loc) {
			continue
		}
		out = append(out, fn, loc)
	}
	return strings.Join(out, "\n")
}

func isEngineFrame(fn, loc string) bool {
	if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "iter.") {
		return true
	}
	if strings.Contains(loc, "_test.go:") {
		return false
	}
	return strings.Contains(loc, "/internal/sim/") || strings.Contains(loc, "/providers/") || strings.Contains(loc, "/simtest/")
}

// describeTasks lists every live task, what it waits on, and where. The
// tasks of a program that runs as WebAssembly are listed apart, by
// process, without their stacks: those are the host's, the same for each,
// and the program's own goroutines do not show in them.
func (w *World) describeTasks() string {
	st := stacks()
	var b strings.Builder
	var hosted []string // process names, in the order of their first task
	inside := map[string][]string{}
	// Tasks in the same state at the same place are told once: a server
	// whose handler never replies has one such task per request, and a
	// report of a hundred copies of one stack buries the other tasks.
	var groups []*waitGroup
	same := map[string]*waitGroup{}
	for t := range w.liveTasks() {
		var state string
		switch {
		case t.parked:
			what := t.what
			if t.describe != nil {
				if d := t.describe(); d != "" {
					what += " (" + d + ")"
				}
			}
			if what == joinWhat {
				what += w.joinNote(t)
			}
			state = "waits on " + what
		case w.isReady(t) && !t.started:
			state = "has not started"
		case w.isReady(t):
			state = "is ready"
		case t.group != nil && t.group.resuming && t != w.cur:
			state = "is ready, held until the task its process's pause interrupted gives up its turn"
		case t.group != nil && t.group.paused && t != w.cur:
			state = "is ready, held while its process is paused"
		default:
			state = "is running"
		}
		stack, ok := st[t.wk.label]
		if ok && t.started && strings.Contains(stack, wasmHostPkg) {
			proc, _, _ := strings.Cut(t.name, "/")
			if _, seen := inside[proc]; !seen {
				hosted = append(hosted, proc)
			}
			inside[proc] = append(inside[proc], fmt.Sprintf("%q %s", t.shown(), state))
			continue
		}
		frames := ""
		if ok && t.started {
			frames = userFrames(stack)
		}
		key := state + "\x00" + frames
		g, seen := same[key]
		if !seen {
			g = &waitGroup{state: state, frames: frames}
			same[key] = g
			groups = append(groups, g)
		}
		g.names = append(g.names, t.shown())
	}
	for _, g := range groups {
		g.write(&b)
	}
	if len(hosted) > 0 {
		b.WriteString("tasks inside programs, whose goroutines run as WebAssembly and show no stack here (docs/programs.md, \"A program that hangs\"):\n")
		for _, proc := range hosted {
			tasks := inside[proc]
			const shown = 4
			fmt.Fprintf(&b, "\t%s: %s", proc, strings.Join(tasks[:min(len(tasks), shown)], "; "))
			if len(tasks) > shown {
				fmt.Fprintf(&b, "; and %d more", len(tasks)-shown)
			}
			b.WriteString("\n")
		}
	}
	if st == nil {
		b.WriteString(noStacks + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// noStacks is told of tasks listed without stacks because none could be
// taken (stacks).
const noStacks = "(no stack could be taken: a program's code was running elsewhere in this test binary, and had not called the host for a second)"

// A waitGroup is the tasks that describeTasks finds in one state with
// one stack (frames, "" for a task that has not started).
type waitGroup struct {
	state  string
	frames string
	names  []string
}

// groupNames is how many names of a group's tasks a report lists.
const groupNames = 3

func (g *waitGroup) write(b *strings.Builder) {
	if len(g.names) == 1 {
		fmt.Fprintf(b, "task %q %s", g.names[0], g.state)
	} else {
		fmt.Fprintf(b, "%d tasks %s, all at one place (", len(g.names), pluralState(g.state))
		// A name many of them share (a pool's "worker") is listed once,
		// with its count.
		var names []string
		count := map[string]int{}
		for _, name := range g.names {
			if count[name] == 0 {
				names = append(names, name)
			}
			count[name]++
		}
		more := len(g.names)
		for i, name := range names[:min(len(names), groupNames)] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%q", name)
			if n := count[name]; n > 1 {
				fmt.Fprintf(b, " x%d", n)
			}
			more -= count[name]
		}
		if more > 0 {
			fmt.Fprintf(b, " and %d more", more)
		}
		b.WriteString(")")
	}
	if g.frames != "" {
		b.WriteString(":\n\t")
		b.WriteString(strings.ReplaceAll(g.frames, "\n", "\n\t"))
	}
	b.WriteString("\n")
}

// pluralState is a task's state, such as "waits on chan receive", said of
// several tasks: "wait on chan receive".
func pluralState(state string) string {
	verb, rest, _ := strings.Cut(state, " ")
	switch verb {
	case "waits":
		verb = "wait"
	case "is":
		verb = "are"
	case "has":
		verb = "have"
	}
	return verb + " " + rest
}

// wasmHostPkg is in the stack of every task of a program run as
// WebAssembly, below the program's call into the host.
const wasmHostPkg = "github.com/moonpool-go/moonpool/internal/wasmhost."

// joinNote names the task that t, parked in Join, waits for: the task
// whose joiners hold t's wait token. It is found at report time, so that a
// Join costs nothing for it. A task that joins itself is told so, with the
// fix.
func (w *World) joinNote(t *task) string {
	tok := t.waitToken()
	for o := range w.liveTasks() {
		if !slices.Contains(o.joiners, tok) {
			continue
		}
		if o == t {
			return " (of itself: a task that joins itself waits for its own end, which never comes; join it from another task)"
		}
		return fmt.Sprintf(" (of task %q)", o.name)
	}
	return ""
}

// RunGuarded runs the world on a goroutine of its own and watches it from
// the caller's: if no step completes for watchdog of real time, the running
// task has escaped the simulation. The run is then abandoned with a failure
// that names the task, the simulated time and trace so far, and the stack
// where the task is, and that tells two cases apart by the state of the
// task's goroutine: Escaped when it waits outside the simulation (a raw
// channel, a sync.Mutex, time.Sleep, real I/O), Busy when it keeps running
// (a long computation, a loop that never calls the simulation). Progress is
// checked sixteen times per watchdog period, so the report comes at most a
// sixteenth late; Slow holds the watchdog off.
//
// Blocks that are each shorter than the watchdog add up: a stretch away
// from the scheduler is sampled from blockSample on, and once the real
// time the run's tasks spent blocked outside the simulation, the block
// under way among them, adds up to the watchdog, the run is abandoned as
// Escaped too, with how many blocks, how long in all, and where the latest
// and the longest waited (blocks). Time in which the goroutine ran is
// work, and does not count.
//
// An abandoned run never runs user code again: should the task come back,
// it unwinds at its next call into the simulation, every other task is
// unwound, and the run's goroutines end (see givenUp). A task that never
// comes back keeps its goroutine: Go cannot stop one from outside. A zero
// watchdog waits forever. A run whose Workers stop is given up too,
// sooner (see Workers.Stop).
//
// A run still going at Config.StopBy is stopped between two steps with
// an Overtime failure (halted), or given up if its task does not come
// back within overtimeGrace.
//
// A task's runtime.Goexit tears the world down and sets Result.Goexit: the
// caller, on a test's goroutine, should then call t.FailNow.
func (w *World) RunGuarded(root func(ctx context.Context, p providers.Providers) error, watchdog time.Duration) Result {
	done := make(chan Result, 1)
	w.wallStart = time.Now()
	w.cfg.Workers.goRun(func(goid int64) {
		w.goid.Store(goid)
		normal := false
		defer func() {
			if !normal {
				r := w.result()
				r.Goexit = !w.exiting
				done <- r
			}
		}()
		r := w.Run(root)
		normal = true
		done <- r
	})
	stop := w.cfg.Workers.stopped()
	var overtime <-chan time.Time // nil, which never fires, with no StopBy
	if !w.cfg.StopBy.IsZero() {
		timer := time.NewTimer(time.Until(w.cfg.StopBy))
		defer timer.Stop()
		overtime = timer.C
	}
	// The clock's standstill is looked at a few times per bound, and at
	// least every second.
	var stillTicks <-chan time.Time
	if still := w.cfg.MaxWallPerInstant; still > 0 {
		t := time.NewTicker(min(max(still/8, time.Millisecond), time.Second))
		defer t.Stop()
		stillTicks = t.C
	}
	if watchdog <= 0 && stop == nil && overtime == nil && stillTicks == nil {
		return <-done
	}
	// The watchdog is off until a stop, when watchdog is zero: a nil
	// channel never ticks.
	var tick *time.Ticker
	var ticks <-chan time.Time
	limit := watchdog
	// The watchdog looks sixteen times per period, and at least every
	// realWaitTick, to time a wait on real time (realWait) closely.
	watch := func(d time.Duration) {
		every := min(max(d/16, time.Millisecond), realWaitTick)
		if tick == nil {
			tick = time.NewTicker(every)
			ticks = tick.C
		} else {
			tick.Reset(every)
		}
	}
	if watchdog > 0 {
		watch(watchdog)
	}
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	last, since := w.published(), time.Now()
	// stillAt is the simulated time last seen, since when it has stood, and
	// stillFrom the progress then; stillSeen is when a sample last found
	// that steps had run, at progress stillStep. The standstill is counted
	// up to stillSeen: one long step is the watchdog's, not this bound's.
	_, _, stillAt := w.publishedCounts()
	stillSince, stillFrom := since, last
	stillSeen, stillStep := since, last
	stopping := false
	asked := false       // the step loop was asked whether a task waits for a later instant
	var overAt time.Time // when StopBy passed, if it did
	var waits []RealWait
	var waiting *RealWait // the wait under way, once a sample found one
	var tally blocks
	tally.away(since)
	// The first sample of a stretch away from the scheduler comes at
	// first, each later one at twice the stretch's length then: a long
	// computation is sampled a few times, not at every tick.
	first := blockSample
	if watchdog > 0 {
		first = min(first, watchdog/4)
	}
	next := first
	endWait := func(now time.Time) {
		tally.end(now)
		if waiting != nil {
			if wall := now.Sub(since); wall >= realWaitMin {
				waiting.Wall = wall.Round(time.Millisecond)
				waits = append(waits, *waiting)
			}
		}
		waiting = nil
		next = first
	}
	ended := func(r Result) Result {
		endWait(time.Now())
		r.Waits = waits
		return r
	}
	for {
		select {
		case r := <-done:
			return ended(r)
		case <-stop:
			// The run goes on, for a run given up runs its cleanups
			// outside the simulation; but one whose task does not come
			// back, in Slow or not, is given up after stopGrace, not the
			// whole watchdog.
			stop, stopping = nil, true
			if limit <= 0 || limit > stopGrace {
				limit = stopGrace
				watch(limit)
			}
		case now := <-overtime:
			// The run stops at its next step; one whose task does not
			// come back, in Slow or not, is given up after overtimeGrace.
			overtime, overAt = nil, now
			w.halt.Or(haltStop)
			if limit <= 0 || limit > overtimeGrace {
				limit = overtimeGrace
			}
			watch(limit)
		case now := <-stillTicks:
			p := w.published()
			_, _, at := w.publishedCounts()
			if at != stillAt || w.slow.Load() > 0 {
				stillAt, stillSince, stillFrom, asked = at, now, p, false
				stillSeen, stillStep = now, p
				continue
			}
			if p != stillStep {
				stillSeen, stillStep = now, p
			}
			// A run that stands still with no step (a task blocked
			// outside the simulation), or in one long step, is the
			// watchdog's. One where nothing waits for the clock to move
			// (no sleep, timer or deadline of a later instant) loses
			// nothing by it: millions of round trips at one instant are
			// a workload.
			if stillSeen.Sub(stillSince) < w.cfg.MaxWallPerInstant || p == stillFrom || stopping || !overAt.IsZero() {
				continue
			}
			// The queue's word tells that nothing waits, but not that
			// something does: an event cancelled (a context's deadline, a
			// net deadline cleared) stays queued until the queue comes to
			// it, and a request's deadline is live until its reply. The
			// step loop, asked, tells whether an event live at its last
			// ask still is (waitedLater), and the next tick has its
			// answer: a wait that lasted from one tick to the next stops
			// the run, a tick or two past the bound. A run whose word
			// stays clear is never asked.
			if asked {
				switch w.stillAnswer.Load() {
				case 0: // not yet: the running task has not come back
					continue
				case stillNone:
					asked = false
				}
			}
			if !asked {
				// An ask of an instant gone by may still be unanswered: a
				// new one waits for it, so that its answer is not taken
				// for the new one's.
				if w.publishedLater() && w.halt.Load()&haltAsk == 0 {
					asked = true
					w.stillAnswer.Store(0)
					w.halt.Or(haltAsk)
				}
				continue
			}
			asked = false
			// The run stops at its next step, as at StopBy.
			stillTicks, overtime, overAt = nil, nil, now
			w.stillFor.Store(int64(stillSeen.Sub(stillSince)))
			w.stillRan.Store(p - stillFrom)
			w.halt.Or(haltStop)
			if limit <= 0 || limit > overtimeGrace {
				limit = overtimeGrace
			}
			watch(limit)
		case now := <-ticks:
			if p := w.published(); p != last || w.slow.Load() > 0 && !stopping && overAt.IsZero() {
				endWait(now)
				last, since = p, now
				tally.away(since)
				continue
			}
			// A stray call is taken between steps: if none completed
			// since, the running task waits for the stray goroutine.
			idle := now.Sub(since)
			// The wait is sampled before it is long enough to tell, so
			// that one just past realWaitMin is still under way when its
			// goroutine is sampled; endWait keeps only the long ones, and
			// tally counts every block sampled.
			if idle >= next && !w.strays.seen.Load() {
				next = 2 * idle
				s, on := w.realWait()
				// One that came back while sampled may show the goroutine
				// after the wait, back in the engine or in its next step:
				// the sample is dropped.
				if w.published() == last {
					tally.saw(s, on, time.Now())
					if s.Task != "" {
						waiting = s
					}
				}
			}
			if !stopping && overAt.IsZero() && watchdog > 0 && tally.over(now, limit) && !w.strays.seen.Load() {
				w.abandon()
				return w.blockedTooLong(&tally, now, limit)
			}
			away := idle // what the report tells: since the task's last step
			if !overAt.IsZero() {
				// The grace counts from the request to stop, not from
				// the last step before it.
				idle = min(idle, now.Sub(overAt))
			}
			if idle < limit && !w.strays.seen.Load() {
				continue
			}
			// A run that ended while this goroutine waited for a
			// processor (a loaded machine) has its result ready beside
			// the tick, and select takes either: the result is the run's.
			select {
			case r := <-done:
				return ended(r)
			default:
			}
			w.abandon()
			if stopping {
				return w.stoppedResult()
			}
			if r, ok := w.strayed(); ok {
				return r
			}
			if !overAt.IsZero() {
				return w.overdue(w.escaped(away))
			}
			return w.escaped(idle)
		}
	}
}

// realWaitMin is the least real time a task must stay away from the
// scheduler, blocked, for RunGuarded to tell the wait in Result.Waits; and
// realWaitTick the longest between the watchdog's looks, which time the
// wait: a wait starts up to a tick before the look that sees it. The wait
// is sampled at blockSample, before it is long enough to tell.
const (
	realWaitMin  = 500 * time.Millisecond
	realWaitTick = 25 * time.Millisecond
)

// realWaitGoroutines is the most goroutines a process may have for
// realWait to sample one: each sample dumps them all, stopping the world,
// and a step that boots thousands of processes would pay for it.
const realWaitGoroutines = 1000

// realWait samples the goroutine that has not come back, and returns the
// wait it is in and what it may wait for (sample.on), or a zero RealWait's
// pointer that records nothing when it is running, or waiting for
// goroutines of its own that run: work, not a wait on real time. It runs on the watcher's goroutine, and reads
// what escaped reads.
func (w *World) realWait() (wait *RealWait, on string) {
	if runtime.NumGoroutine() > realWaitGoroutines {
		return &RealWait{}, ""
	}
	_, name, s := w.sampleAway()
	if s.busy || s.helper != "" || ownFrames(s.stack) == "" {
		// Sampled, not a wait to tell: work, or a goroutine with no
		// frame of the task's own, which is back in the engine.
		return &RealWait{}, ""
	}
	return &RealWait{Task: name, State: s.state, Stack: s.stack}, s.on
}

// stopGrace is how long RunGuarded waits, once its Workers stopped, for a
// run that makes no progress: its task may be stuck outside the
// simulation, and nobody waits for its outcome.
const stopGrace = time.Second

// stoppedResult is the result of a run given up after its Workers
// stopped: the Abandoned failure, from what publish stored, as escaped
// builds its own. It names the task that had not come back
// and where it was, when a sample finds it (sampleAway): the goroutine
// that outlives the run, which the Run that stopped may tell of.
func (w *World) stoppedResult() Result {
	progress, events, at := w.publishedCounts()
	f := &Failure{Kind: Abandoned, Msg: "the run was stopped before it ended"}
	if runtime.NumGoroutine() <= realWaitGoroutines {
		_, name, s := w.sampleAway()
		if !s.blind {
			f.Task, f.Stack = name, s.stack
		}
	}
	return w.publishedResult(progress, events, at, f)
}

// publishedResult is the Result, failed with f, of a run that the
// watchdog's goroutine ends: its counters as publishedCounts read them,
// and the trace hash that publish stored.
func (w *World) publishedResult(progress, events uint64, at int64, f *Failure) Result {
	return Result{Seed: w.cfg.Seed, Trace: atomic.LoadUint64(&w.pubTrace), Steps: progress - events, Events: events, SimTime: time.Duration(at), Err: f}
}

// Slow runs f with the watchdog held off: f may take as long as it needs
// in real time (a linearizability check, a large comparison), and the
// watchdog counts again from its end. It is safe to call from any task of
// the world.
func (w *World) Slow(f func()) {
	w.slow.Add(1)
	defer w.slow.Add(-1)
	f()
}

// abandon gives the run up (Abandoned): the run stops at its next step
// (halted), and never runs user code again (givenUp). It is safe to call
// from any goroutine.
func (w *World) abandon() {
	w.abandoned.Store(true)
	w.halt.Or(haltStop)
}

// Abandoned reports whether the watchdog gave the run up. It is safe to
// call from any goroutine: code that reports on the run's behalf (a
// test's S) can drop what a given-up run's goroutines still say.
func (w *World) Abandoned() bool { return w.abandoned.Load() }

// UnwindGivenUp unwinds the calling task when it is a task of a run the
// watchdog gave up that came back (what it waited on came), as its next
// call into the simulation would: for code that hears from goroutines
// that outlived the run (a test's S), which such a task is not one of. On
// any other goroutine it returns at once.
func (w *World) UnwindGivenUp() {
	if !w.abandoned.Load() || !w.OnTurn() {
		return
	}
	if t := w.cur; t != nil {
		w.givenUp(t)
		t.unwind()
	}
}

// watched holds the world's words that the watchdog's goroutine reads with
// 64-bit atomics (publishedCounts, escaped). Those fault unless the word is
// 8-byte aligned, which 32-bit platforms (386, arm) do not give an int64 or
// uint64 field of their own accord: the zero-length array of atomic.Uint64
// aligns the struct, and so every word in it, on every platform, at no
// cost in size.
type watched struct {
	_      [0]atomic.Uint64
	now    int64 // simulated time, in nanoseconds since the start
	steps  uint64
	events uint64
	// The trace hash at the last resume, which publish stores.
	pubTrace uint64
	// Copies of steps+events, events and now, which publish stores in
	// race-detector builds only (publish_race.go).
	progress  uint64
	pubEvents uint64
	pubNow    int64
	pubFull   uint64 // the queue's full
	// kills counts the kills that came back (kill): the engine's own
	// progress, which a teardown of tens of thousands of tasks makes
	// with no step, and which published counts.
	kills atomic.Uint64
}

// published reads the world's progress, its steps and events, from the
// watchdog's goroutine.
func (w *World) published() uint64 {
	progress, _, _ := w.publishedCounts()
	return progress + w.kills.Load()
}

// publishedTask reads the task that publish stored, from the watchdog's
// goroutine. Its name and worker were set before it was published, and do
// not change.
func (w *World) publishedTask() *task {
	return (*task)(atomic.LoadPointer((*unsafe.Pointer)(unsafe.Pointer(&w.pubCur))))
}

// givenUp ends a run that the watchdog gave up, when its goroutine comes
// back into the simulation: a task that escaped came back, or the
// scheduler did. The runner has moved on, so from here the run runs no
// user code it can help: the hooks to the runner are cut, the run fails
// (a result nobody reads), the returning task t (if any) is killed and
// unwinds at once, and so do all others at teardown, whose workers are
// stopped rather than pooled. Every later call into the simulation unwinds
// its caller.
func (w *World) givenUp(t *task) {
	w.asserter, w.afterStep, w.timeline.observe, w.ops = nil, nil, nil, nil
	w.fail(&Failure{Kind: Abandoned, Msg: "the watchdog gave the run up"})
	if t != nil && !t.killed {
		t.killed, t.killedAt = true, w.now
	}
}

// sampleAway samples the goroutine of the code that has not come back to
// the scheduler: the task that publish stored, and its name, or the
// scheduler's own goroutine (t nil). It runs on the watcher's goroutine.
//
// A task's goroutine found parked as a coroutine has given the turn back
// (or not yet taken it): unless the scheduler's goroutine is parked so
// too (the task then waits on a coroutine of its own), what runs is the
// engine's own work, a teardown's, a kill's or a poll's, and the sample
// is the scheduler's.
func (w *World) sampleAway() (t *task, name string, s sample) {
	t = w.publishedTask()
	sched := w.goid.Load()
	if t == nil {
		return nil, SchedulerTask, sampleGoroutine(sched)
	}
	if in, _ := w.inForeign(t); in {
		// In a program's code, which no stop of the world can stop:
		// escaped tells from what the host knows.
		return t, t.shown(), sample{blind: true}
	}
	id, looked := findGoroutine(t.wk.label)
	if !looked {
		return t, t.shown(), sample{blind: true}
	}
	s = sampleGoroutine(id)
	if s.state == coroutineState && !s.busy {
		if e := sampleGoroutine(sched); e.state != coroutineState {
			return nil, SchedulerTask, e
		}
	}
	return t, t.shown(), s
}

// coroutineState is the state a stack trace gives a goroutine parked in a
// coroutine switch: a task's between its park and its resume.
const coroutineState = "coroutine"

// escaped builds the result of a run whose running task has not come back
// for idle of real time. It runs on the watcher's goroutine, and reads only
// what publish stored, the world's counters that the watchdog reads
// (publishedCounts), and what does not change. Those counters are read
// live: should the task come back meanwhile, they may be later than the
// trace hash that publish stored.
func (w *World) escaped(idle time.Duration) Result {
	progress, events, at := w.publishedCounts() // before the samples, which take time
	now := time.Duration(at)
	t, name, s := w.sampleAway()
	if s.stack == "" && t != nil && !s.blind { // not found in a stack trace
		s.stack = userFrames(stacks()[t.wk.label])
	}
	idle = idle.Round(time.Millisecond)
	var foreignIn bool
	var stopsAfter time.Duration
	if t != nil {
		foreignIn, stopsAfter = w.inForeign(t)
	}
	f := &Failure{Kind: Escaped, Task: name, At: now, Stack: s.stack}
	who, toSched := "the task", " to the scheduler"
	if t == nil {
		who, toSched = "code the scheduler runs between steps (an Invariant's or an Eventually's check, an event's callback)", ""
	}
	switch {
	case t != nil && foreignIn:
		f.Kind = Busy
		f.Msg = fmt.Sprintf("%s has run for %v of real time without returning%s, in the code of the program it runs, "+
			"which has not called the host since: a goroutine of the program loops without blocking or calling out (for !flag.Load() {}), "+
			"and WebAssembly has no preemption, so the program's other goroutines and the simulation never run again. "+
			"Block on a channel, a timer or I/O instead of polling", who, idle, toSched)
		if stopsAfter > 0 {
			// The host stops the code: a garbage collection, which
			// stops the world, waits for it until then.
			f.Msg += fmt.Sprintf("; the program is built with program.Config{StopSpins: true}, so the loop is stopped once it has run "+
				"for %v without calling the host, with an error that cannot name it (docs/programs.md, What stays out)", stopsAfter)
			break
		}
		// Told from what the host knows: no sample can be taken of a
		// goroutine in a program's code (ForeignCall). Nor can a garbage
		// collection run, which stops the world too: the automatic ones
		// are turned off, so that the binary goes on to report the seed
		// and run the others.
		debug.SetGCPercent(-1)
		f.Msg += ". Build the program with program.Config{StopSpins: true} for such a loop to be stopped after 5 s " +
			"(docs/programs.md, What stays out); without it the goroutine spins on until the test binary exits, " +
			"and the garbage collector is off until then, for a collection would wait for that goroutine forever"
	case s.busy:
		f.Kind = Busy
		f.Msg = fmt.Sprintf("%s has run for %v of real time without returning%s, and its goroutine is running, not waiting: "+
			"a long computation, or a loop that never calls the simulation? The stack is where it runs most. "+
			"If the stretch is meant to take long (a linearizability check...), run it inside S.Slow or raise the Watchdog; "+
			"a loop that waits for something must sleep, yield or block through the providers "+
			"(simvet's chan, sync, wallclock and osnet rules find this before running)", who, idle, toSched)
	case s.helper != "":
		f.Kind = Busy
		f.Msg = fmt.Sprintf("%s has waited for %v of real time for goroutines it started, outside the simulation, and one of them is running: "+
			"work handed to goroutines of its own (a linearizability check...), or a loop that never ends? The stack is where it waits; "+
			"the goroutine that runs was started as %s. If the work is meant to take long, run it inside S.Slow or raise the Watchdog; "+
			"if it is the system's own work, start it with Task.Go, so that it runs in the simulation", who, idle, goFunc(s.helper))
	case s.blind:
		// Not Escaped: nothing was seen of where it is.
		f.Kind = Unseen
		f.Msg = fmt.Sprintf("%s has not returned%s for %v of real time, and no stack could be taken: a program's code was running elsewhere in this test binary "+
			"(another test's or seed's, which had not called the host for %v), and a stack trace, which stops the world, cannot stop that code. "+
			"Its goroutine may run or be blocked outside the simulation: on a raw channel, a sync.Mutex, time.Sleep, or real I/O? "+
			"Run the seed alone (-run and -simseed) to see where it is", who, toSched, idle, foreignWait)
	default:
		state := ""
		if s.state != "" {
			state = " (" + s.state + ")"
		}
		if lib := libraryWait(s.stack, mainModule()); lib != "" && !s.inProviders {
			f.Msg = fmt.Sprintf("%s has not returned%s for %v of real time: its goroutine is blocked outside the simulation%s, in %s, %s",
				who, toSched, idle, state, lib, libraryOwnWait)
		} else {
			f.Msg = fmt.Sprintf("%s has not returned%s for %v of real time: its goroutine is blocked outside the simulation%s, "+
				"on a raw channel (<-ctx.Done() among them), a sync.Mutex, time.Sleep, or real I/O? "+
				"Block only through the providers: Time.Sleep, Chan, Mutex, WaitGroup, Select, providers.Wait(ctx, p.Task) for a context's end, "+
				"the simulated network and disk "+
				"(simvet's chan, sync, wallclock and osnet rules find this before running)", who, toSched, idle, state)
		}
		if s.on != "" {
			f.Msg += "; it may wait for a goroutine it started, in " + s.on
		}
		if note := w.readPauseNote.Load(); note != nil {
			f.Msg += "; meanwhile " + *note + ": a sync.Mutex or a channel it holds across the read blocks every task that wants it until then, " +
				"so guard what is shared with the process's tasks with a providers.Mutex, whose waiters wait in the simulation while its holder is paused"
		}
		if s.inProviders {
			f.Msg += "; it waits in the providers' production code: a Chan, Mutex, WaitGroup, clock or network made with " +
				"providers.Real() (or its Task) blocks outside the simulation, so make it with the simulation's providers (the p a task is given)"
		}
	}
	if w.killing.Load() && t != nil {
		f.Msg += "; the task was killed and has not finished unwinding since: did a deferred recover() stop the kill?"
	}
	return w.publishedResult(progress, events, at, f)
}
