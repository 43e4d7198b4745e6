package sim

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/simctx"
	"github.com/moonpool-go/moonpool/providers"
)

// Epoch is the wall-clock reading of simulated time zero.
var Epoch = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// Config is the setup of one run.
type Config struct {
	// Seed keys the run's random stream.
	Seed uint64
	// Decisions, when not empty, set the top bytes of the run's first
	// draws, and the draws past them are seed 0's (rng.Decided).
	Decisions []byte
	// Branches, when not empty, switch the stream to fresh sources at
	// their draw numbers (rng.Branched): a timeline of an exploration.
	Branches []rng.Branch
	// TimeBudget bounds simulated time; zero means no bound.
	TimeBudget time.Duration
	// MaxStepsPerInstant bounds how many tasks may be resumed while
	// simulated time stands still; zero means no bound.
	MaxStepsPerInstant uint64
	// Record keeps every step, so that Diverge can compare two runs.
	Record bool
	// Chunks, with Record, keeps a hash of each chunk of steps instead,
	// and the steps of a window of them at most (ChunkPlan): what a
	// run keeps does not grow with its length.
	Chunks *ChunkPlan
	// HashData hashes the data the run moves into Result.Data: the names
	// of tasks, the bytes written to connections and files, the values
	// drawn. With Record, the starts and writes are kept as steps too. A
	// determinism check sets both; the trace is the same either way.
	HashData bool
	// Timeline is how many recent timeline entries to keep for failure
	// reports; zero keeps a default number.
	Timeline int
	// Workers, when not nil, lends the run idle workers of earlier runs and
	// takes back the run's own when it ends.
	Workers *Workers
	// NameTasks labels each task's goroutine with the task's name too
	// (the pprof label "moonpool-name"), so that a debugger's list of
	// goroutines tells the tasks apart. It costs a few allocations a task
	// start, and changes no trace.
	NameTasks bool
	// StopBy, when not zero, is the wall-clock time by which a run under
	// RunGuarded must have ended: a little before go test's -timeout ends
	// the test binary. A run still going then fails with an Overtime
	// failure between two steps, and is torn down as any failed run is;
	// one whose running task does not come back within overtimeGrace is
	// given up, as the watchdog gives one up.
	StopBy time.Time
	// MaxWallPerInstant, when not zero, bounds the wall time during which
	// simulated time may stand still while tasks run and an event waits
	// at a later instant (a sleep, a timer, a deadline live across two of
	// the runner's looks, not one cancelled or set and cleared between
	// them: see waitedLater), under RunGuarded; the time counts up to the start of the step under way,
	// for a long step is the watchdog's. A run past it fails with an Overtime failure between two steps, which
	// names the cause its devices see (StillNote). Time stands still while
	// any task can run, so work that never waits for time, a network with
	// no latency moving data, holds it; a long workload at one instant
	// (millions of round trips) is legitimate, so the bound is on wall
	// time, where MaxStepsPerInstant counts steps without progress.
	MaxWallPerInstant time.Duration
}

// Result is the outcome of a run.
type Result struct {
	Seed    uint64
	Trace   uint64        // hash of every step and event
	Data    uint64        // with Config.HashData: hash of task names, bytes written, values drawn
	Steps   uint64        // task resumptions
	Events  uint64        // timer events fired
	Draws   uint64        // values drawn from the random stream
	Tasks   uint64        // tasks started, the root included
	SimTime time.Duration // simulated time at the end
	Err     error         // a *Failure, or nil
	// Goexit reports that the root's goroutine must go on exiting: a task
	// called runtime.Goexit (t.FailNow on a testing.T). Set by RunGuarded.
	Goexit bool
	// Record holds the steps when Config.Record was set.
	Record Recording
	// Timeline holds the most recent timeline entries, oldest first.
	Timeline []Entry
	// Waits are the stretches in which a task waited outside the
	// simulation for half a second or more of real time and came back, as
	// RunGuarded's watchdog saw them.
	Waits []RealWait
}

// A RealWait is a stretch in which the running task (or the scheduler's
// own code) was blocked outside the simulation, not running, for half a
// second or more of real time, and then came back: a wait on real time
// (time.Sleep, a time.Ticker, testify's Eventually), which passes while
// simulated time stands still.
type RealWait struct {
	Task  string        // the task's name, or SchedulerTask
	Wall  time.Duration // how long, to the watchdog's tick
	State string        // the goroutine's state, such as "select" or "chan receive"
	Stack string        // its own frames, as a watchdog's report shows them
}

type state uint8

const (
	running state = iota + 1
	finished
)

// World is one simulated run. Its methods are not safe for concurrent use,
// except those documented otherwise; everything inside a simulation happens
// on one task at a time.
type World struct {
	cfg   Config
	rng   *rng.Stream
	seq   uint64
	queue eventQueue
	ready []listEntry // tasks ready to run, in the order the draw indexes
	// paused counts the groups paused (Group.Pause): while it is zero, a
	// task made ready goes to the ready list without a look at its group.
	paused int
	// crashPoint crashes the running task's process at a crash point
	// that fired (OnCrashPoint).
	crashPoint func(site string)
	crashMay   func() bool
	// armed counts the groups armed to pause at a point of their tasks'
	// code (Group.PauseAfterClockRead, PauseAfterUnsyncedWrite): while
	// it is zero, a read of a clock or a write to a disk looks no further.
	armed int
	// Where each task stands in the ready list and in its list of
	// context waiters, by slot, and the slots free (tasklist.go).
	readyPos []int32
	// readyStep is, by slot, the step (steps) during which, or after
	// which, the task last became ready: one that the running task's step
	// made ready could not have run before it (ReadyNow).
	readyStep []uint64
	ctxPos    []int32
	freeSlots []int32
	slotTask  []*task // the task of each slot in use
	// slotGen is, for a free slot, the wait generation its next task
	// starts at: one past its last task's, so that a wait token, which
	// names a slot, never matches a later task's wait (wakeToken).
	slotGen []uint32
	pool    []*worker // idle workers, for the next tasks started
	// abandoned is set when RunGuarded gave up on the run: a task escaped,
	// the run must never run user code again (see givenUp), and its
	// workers must not go back to Workers.
	abandoned atomic.Bool
	// halt is set, after abandoned or on its own, when the runner wants
	// the run to stop (haltStop: abandoned, past Config.StopBy, or standing
	// still) or asks whether a task waits for a later instant (haltAsk):
	// the step loop reads this one word after each step (halted).
	halt atomic.Uint32
	// stillAnswer is the step loop's answer to haltAsk (stillNone or
	// stillWaits), zero until it answered; stillLive holds the events of
	// later instants live at the ask that looked (waitedLater), when the
	// world had run stillMark steps and events, at instant stillNow and
	// wall time stillSince.
	stillAnswer atomic.Uint32
	stillLive   []queued
	stillMark   uint64
	stillNow    int64
	stillSince  time.Time
	// stillFor is, when the runner halts a run for standing still at one
	// instant (Config.MaxWallPerInstant), how long it stood, and stillRan
	// the steps and events it ran meanwhile; stillNotes are the devices'
	// words on why (StillNote), and stillWords what they said when the
	// step loop answered that a task waits (stillWaits), for a run given
	// up on the watcher's goroutine, which may not call them (overdue).
	stillFor   atomic.Int64
	stillRan   atomic.Uint64
	stillNotes []func() string
	stillWords atomic.Pointer[string]
	// wallStart is when RunGuarded started the run, for an Overtime
	// failure's message.
	wallStart time.Time
	// workers counts the workers made.
	workers int
	// exiting is set when the engine ends a task's goroutine with
	// runtime.Goexit (swallow.go): the Goexit that reaches the world's
	// goroutine is the engine's, not a test's FailNow.
	exiting bool
	tasks   []*task // every live task, in start order, and nils (dropTask)
	// deadTasks counts the nils in tasks, and taskHead is where the
	// first live task may be (firstTask).
	deadTasks, taskHead int
	cur                 *task
	root                *task
	state               state
	// rootDone is set when the root task ends: the loop tests it after
	// every step, where the root's own fields would be a cold line.
	rootDone bool
	strays   strays // whose turn it is; stray calls (stray.go)

	// Parked tasks whose wait may end by their context. A context is
	// "owned" when the simulation made it and every context above it: only
	// the simulation's own cancel calls can end it, and those set
	// cancelled, so owned waiters are polled only then. Any other context
	// may be cancelled by code the simulation cannot see, so its waiters
	// are polled whenever no task is ready.
	ownedWaiters   []int32 // slots (tasklist.go)
	ownedMarks             // which of them may be done (marks.go)
	foreignWaiters []ctxWaiter
	cancelled      bool
	cancels        uint64 // calls of cancelOwned
	// foreignAt is cancels as the foreign waiters were last polled: see
	// pollForeign.
	foreignAt uint64

	// bound, when above zero, is the instant simulated time must not
	// pass: the time budget, or limit if SetLimit set an earlier one,
	// whose message limitMsg gives.
	bound    int64
	limit    int64
	limitMsg func() string

	trace   uint64
	watched // now, steps, events, and what publish stores (guard.go)
	started uint64
	// stepLimit is the step count past which the livelock guard fails the
	// run: Config.MaxStepsPerInstant steps past the count at which time
	// last moved on (or a device made progress), or no limit (armInstant).
	stepLimit uint64
	spare     []*event // fired events of Schedule, for the next (hooks.go)
	stall     stallGuard
	failure   *Failure
	record    Recording
	data      dataTrace // Config.HashData: see trace.go
	timeline  ring
	pubCur    *task        // the task resumed last, for the watchdog; see publish
	goid      atomic.Int64 // the goroutine running the world, under RunGuarded
	slow      atomic.Int32 // how many Slow calls are under way
	killing   atomic.Bool  // a task is unwinding from a kill, for the watchdog
	// readPauses are the groups paused in a clock read whose reader has
	// not gone on yet, and readPauseNote says so for the watchdog (see
	// notePausedReads).
	readPauses    []*Group
	readPauseNote atomic.Pointer[string]
	nextID        uint32
	buggify       Buggify
	sites         map[uintptr]*site // buggify sites reached, by PC
	chaosOff      bool
	rootCtx       context.Context
	cancelRoots   context.CancelFunc

	// What the test side hooks on; see observe.go.
	asserter  Asserter                            // where assertions go
	testSide  any                                 // the test side's record of the run (SetTestSide)
	afterStep func()                              // runs after every step when set
	ops       func(Op)                            // hears device operations when set
	recovered func(msg string, stack []byte) bool // hears recovered panics when set

	deadlineTimers []*deadlineTimer // fired or stopped, for the next WithDeadline
	never          [2]chan struct{} // never closed; see neverDone and waitChan
	killPCs        []uintptr        // killed tasks' stacks; see keepPCs
	store          *worldStore      // what New took from Workers, to give back

	// lockWaits holds the tasks parked on a lock that someone holds
	// (ParkLock), and what each waits for: the waits-for graph in which
	// a lock cycle is looked for.
	lockWaits map[*task]lockWait

	// nearWall names the first deadline given that lay near the wall
	// clock's time (RefuseWallTime), for a run that runs out of its budget.
	nearWall string
	// onFault hears of each injected fault as it begins (OnFault); nil
	// when nothing listens, and then a fault costs a nil test.
	onFault func(Fault)
	// onFaultStrikes hears what the fault begun last strikes (FaultStrikes).
	onFaultStrikes func(where string)
	// onBranch run as the stream switches to a branch's source (OnBranch).
	onBranch []func()
}

// New returns a world ready to Run.
func New(cfg Config) *World {
	w := &World{cfg: cfg, never: [2]chan struct{}{make(chan struct{}), make(chan struct{})}}
	w.SetLimit(0, nil) // the bound is the time budget's
	if len(cfg.Decisions) > 0 {
		w.rng = rng.Decided(cfg.Seed, cfg.Decisions)
	} else if len(cfg.Branches) > 0 {
		w.rng = rng.Branched(cfg.Seed, cfg.Branches)
	} else {
		w.rng = rng.New(cfg.Seed)
	}
	n := cfg.Timeline
	if n <= 0 {
		n = 64
	}
	w.timeline.buf = make([]Entry, n)
	if st := cfg.Workers.takeStore(); st != nil {
		w.takeStore(st)
	}
	w.stall.arm(cfg.MaxStepsPerInstant)
	w.armInstant()
	w.trace = mix(0x6d6f6f6e706f6f6c, cfg.Seed)
	if cfg.Record && cfg.Chunks != nil {
		w.record.plan(*cfg.Chunks)
	}
	if cfg.HashData {
		w.rng.HashValues()
	}
	return w
}

// Seed is the seed of the run (simctx.Sim).
func (w *World) Seed() uint64 { return w.cfg.Seed }

// Now returns the simulated time since the start of the run.
func (w *World) Now() time.Duration { return time.Duration(w.now) }

// SetLimit bounds simulated time at at, below the time budget: the first
// event due after it fails the run with a Limit failure, whose message is
// msg's, followed by every task and where it waits. Zero lifts the limit.
// It schedules nothing, so a run that ends, or lifts it, before at has
// the trace it would have had without it.
func (w *World) SetLimit(at time.Duration, msg func() string) {
	w.limit, w.limitMsg = int64(at), msg
	w.bound = max(int64(w.cfg.TimeBudget), 0)
	if w.limit > 0 && (w.bound == 0 || w.limit < w.bound) {
		w.bound = w.limit
	}
}

// passBound fails the run whose next event lies past its bound: out of
// its time budget, or past the limit SetLimit set before it.
func (w *World) passBound() {
	w.now = w.bound
	if w.bound == w.limit && w.bound != int64(w.cfg.TimeBudget) {
		w.fail(&Failure{Kind: Limit, Msg: w.limitMsg() + ":\n" + w.describeTasks()})
		return
	}
	w.fail(&Failure{Kind: TimeBudget, Msg: w.budgetMsg()})
}

// Rand is the run's random stream.
func (w *World) Rand() *rng.Stream { return w.rng }

// Providers returns the simulated Time, Task and Random providers.
func (w *World) Providers() providers.Providers {
	return providers.Providers{
		Time:   (*timeProvider)(w),
		Task:   (*taskProvider)(w),
		Random: (*randomProvider)(w),
	}
}

// Context returns the context every task of the world descends from: it
// carries the simulation (see package simctx).
func (w *World) Context() context.Context {
	if w.rootCtx == nil {
		c := w.newContext(simctx.With(context.Background(), w), nil, nil)
		w.rootCtx, w.cancelRoots = c, func() { c.cancel(ctxCanceled, true) }
	}
	return w.rootCtx
}

// Run runs root as the root task until it returns or the run fails, then
// kills every task still alive. The scheduler runs on the calling
// goroutine, and the root, like every task, on a worker's. A world runs
// once. A task that recovers its kill is ended with runtime.Goexit, which
// ends the calling goroutine too once the run is torn down: RunGuarded
// runs the world on a goroutine of its own and reports the failure.
func (w *World) Run(root func(ctx context.Context, p providers.Providers) error) Result {
	if w.state != 0 {
		panic("sim: World.Run called twice; make a new World for each run")
	}
	w.state = running
	w.startTurns()
	w.root = w.spawn(w.Context(), "driver", func(ctx context.Context) error {
		return root(ctx, w.Providers())
	})
	normal := false
	defer func() {
		if !normal {
			// A task's runtime.Goexit is passing through: tear down, and
			// let it go on.
			w.fail(&Failure{Kind: Goexit, Msg: goexitMsg})
			w.teardown()
		}
	}()
	w.loop()
	w.settleStrays()
	w.teardown()
	w.takeStray()
	normal = true
	return w.result()
}

// goexitMsg says what a task's runtime.Goexit is, most often, and what to
// do instead.
const goexitMsg = "runtime.Goexit was called in a task (t.FailNow or t.SkipNow on a testing.T?); " +
	"inside a simulation, fail or skip through the body's S (s.Fatalf, require.NoError(s, err), s.Skip) instead of the test's testing.T"

func (w *World) result() Result {
	w.record.finish()
	r := Result{
		Seed:     w.cfg.Seed,
		Trace:    w.trace,
		Data:     w.dataHash(),
		Steps:    w.steps,
		Events:   w.events,
		Draws:    w.rng.Draws(),
		Tasks:    w.started,
		SimTime:  time.Duration(w.now),
		Record:   w.record,
		Timeline: w.timeline.entries(),
	}
	if w.failure != nil {
		r.Err = w.failure
	}
	return r
}

func (w *World) loop() {
	for w.failure == nil && !w.takeStray() {
		if len(w.ready) > 0 {
			if w.runReady(); w.rootDone {
				return
			}
			continue
		}
		if w.pollContexts() {
			continue
		}
		if w.queue.peek() {
			w.fireEvents()
			continue
		}
		w.fail(&Failure{Kind: Deadlock, Msg: w.deadlockMsg()})
	}
}

// runReady steps: it resumes ready tasks, one drawn at random at a time,
// until none is ready, the run fails, a stray call came in, or the root
// task ended. Steps come in runs (every task woken at an instant), and the
// loop around them is here rather than in loop, a call a step fewer.
func (w *World) runReady() {
	for len(w.ready) > 0 {
		i := 0
		if n := len(w.ready); n > 1 {
			i = w.rng.IntN(n)
		}
		e := w.ready[i]
		t := e.t
		listRemove(&w.ready, w.readyPos, i)
		w.steps++
		if n := w.steps; n > w.stepLimit || n+w.events >= w.stall.at {
			if w.guardStep(t) {
				return
			}
		}
		w.trace = mix(w.trace, uint64(e.id)<<32^w.rng.Draws())
		if w.cfg.Record {
			w.recordStep(t)
		}
		w.publish(t)
		w.cur = t
		e.next()
		w.setActive(w.strays.sched)
		w.cur = nil
		if w.halt.Load() != 0 && w.halted(t.name) {
			return
		}
		if w.afterStep != nil {
			// The hook runs the test's checks on this goroutine: the
			// watchdog must name it, not the task whose step it follows.
			w.publish(nil)
			w.afterStep()
		}
		if w.rootDone || w.failure != nil || w.takeStray() {
			return
		}
	}
}

func (w *World) fireEvents() {
	when := w.queue.next() // the caller peeked
	if w.bound > 0 && when > w.bound {
		w.passBound()
		return
	}
	if when != w.now {
		w.now = when
		w.armInstant()
		w.stall.moved(when, w.steps+w.events)
	}
	for w.failure == nil {
		s, ok := w.queue.popHead()
		if !ok {
			if s, ok = w.queue.popDue(); !ok {
				break
			}
		}
		e := s.e
		if n := w.steps + w.events + 1; n >= w.stall.at && w.guardEvent(n, e) {
			return
		}
		w.events++
		w.trace = mix(w.trace, uint64(s.when)^s.seq<<40)
		if w.cfg.Record {
			w.recordEvent()
		}
		if e.task != nil {
			w.wake(e.task)
		} else if !w.callback(e) {
			return
		}
	}
}

// callback runs the callback of event e, out of the firing loop, which
// mostly wakes tasks. It reports false when the run was given up or
// stopped (halted).
//
//go:noinline
func (w *World) callback(e *event) bool {
	// Only a callback runs code the watchdog may have to name; a wake-up
	// is published with the step it leads to. Its event is in the trace
	// hash by now, as a step is when publish runs.
	w.publish(nil)
	fn, wakeTok, tok := e.fn, e.wakeTok, e.tok
	if e.spare {
		e.fn, e.spare, e.wakeTok, e.tok = nil, false, false, 0
		w.spare = append(w.spare, e)
	}
	if fn != nil {
		fn()
	}
	if wakeTok {
		w.wakeToken(tok)
	}
	if w.halt.Load() != 0 && w.halted(SchedulerTask) {
		return false
	}
	if w.afterStep != nil {
		w.afterStep()
	}
	return true
}

// guardEvent is the stall guard's check of event e, out of line: it
// brings the world's count of steps and events to n, at or past the
// count at which the guard records. It reports whether the run failed.
//
//go:noinline
func (w *World) guardEvent(n uint64, e *event) bool { return w.stall.count(n, w, nil, e) }

// recordEvent keeps the event just fired (Config.Record), out of line.
//
//go:noinline
func (w *World) recordEvent() {
	w.record.add(Step{Kind: StepEvent, At: time.Duration(w.now), Draws: w.rng.Draws(), Values: w.rng.Values(), Hash: w.trace}, nil)
}

// guardStep is the livelock and stall guards' check of t's step, out of
// line: the step passed the bound of one of them, or the stall guard's
// count at which it starts to record. It reports whether the run failed.
//
//go:noinline
func (w *World) guardStep(t *task) bool {
	if w.steps > w.stepLimit {
		w.livelock(t)
		return true
	}
	return w.stall.count(w.steps+w.events, w, t, nil)
}

// recordStep keeps t's step (Config.Record), out of line.
//
//go:noinline
func (w *World) recordStep(t *task) {
	w.record.add(Step{Kind: StepRun, ID: t.id, At: time.Duration(w.now), Draws: w.rng.Draws(), Values: w.rng.Values(), Hash: w.trace}, nil)
}

// armInstant starts the livelock guard's count of the steps at one
// simulated instant.
func (w *World) armInstant() {
	w.stepLimit = ^uint64(0)
	if max := w.cfg.MaxStepsPerInstant; max > 0 && w.steps+max > w.steps {
		w.stepLimit = w.steps + max
	}
}

// livelock fails the run: t is the task resumed once too often while
// simulated time stood still.
func (w *World) livelock(t *task) {
	max := w.cfg.MaxStepsPerInstant
	w.fail(&Failure{Kind: Livelock, Task: t.name, Msg: fmt.Sprintf(
		"%d tasks were resumed at simulated time %v without time moving on; a task is spinning (a loop of Yield or non-blocking calls?). "+
			"Raise the bound with the MaxStepsPerInstant option if this is expected.\n%s",
		max, time.Duration(w.now), w.describeTasks())})
}

// schedule queues e at simulated time when (no earlier than now).
func (w *World) schedule(e *event, when int64) {
	if when < w.now {
		when = w.now
	}
	w.seq++
	w.queue.push(e, when, w.seq)
}

// scheduleIn queues e d from now.
func (w *World) scheduleIn(e *event, d time.Duration) { w.schedule(e, w.instantIn(d)) }

// instantIn returns the instant d from now, or now for a d below zero.
// An end past the last instant int64 holds is that instant: Go's
// "forever", math.MaxInt64, stays the farthest wait there is instead of
// wrapping around into the past.
func (w *World) instantIn(d time.Duration) int64 {
	when := w.now + int64(d)
	if when < w.now {
		if d > 0 {
			return math.MaxInt64
		}
		return w.now
	}
	return when
}

// pollContexts wakes parked tasks whose wait context is done. It runs only
// when no task is ready, so the order of wake-ups is the order of waiters,
// which is itself a product of the run.
func (w *World) pollContexts() bool {
	woke := w.pollForeign()
	if w.cancelled {
		w.cancelled = false
		woke = w.pollOwned() || woke
	}
	if woke {
		w.trace = mix(w.trace, 0xc0ffee)
	}
	return woke
}

// pollForeign wakes the foreign waiters whose context is done, in list
// order. Each entry holds what its context's end is read from (see
// ctxWaiter), so that a waiter costs a load or two of one array, and a
// look at its task only if it wakes.
//
// A simContext's state changes only in the world's cancel calls, each of
// which counts in cancels before the loop can poll again, and a waiter's
// context was found open when it parked or at the last poll. So when
// cancels is what it was at the last poll, no state has changed since,
// and only the contexts of package context's (or another package's),
// which any step may cancel without the world's knowing, are asked.
func (w *World) pollForeign() bool {
	states := w.cancels != w.foreignAt
	w.foreignAt = w.cancels
	woke := false
	for i := 0; i < len(w.foreignWaiters); {
		e := &w.foreignWaiters[i]
		var done bool
		if e.c == nil {
			select {
			case <-e.done:
				done = true
			default:
			}
		} else {
			done = states && e.c.state.Load() != ctxOpen || e.ext.Err() != nil
		}
		if done {
			w.wakeEnded(w.slotTask[e.slot])
			woke = true
			continue // wake removed t; index i now holds another waiter
		}
		i++
	}
	return woke
}

// wakeEnded wakes t, whose wait's context a poll found done: its park
// returns the context's error.
func (w *World) wakeEnded(t *task) {
	t.ctxWoke = true
	w.wake(t)
}

func (w *World) fail(f *Failure) {
	if w.failure != nil {
		return
	}
	f.At = time.Duration(w.now)
	w.failure = f
	w.note(f.Task, w.groupOf(f.Task), "failed: "+f.Kind.String())
}

// Failed reports whether the run has failed.
func (w *World) Failed() bool { return w.failure != nil }

// teardown kills every task still alive, in start order.
func (w *World) teardown() {
	if w.state == finished {
		return
	}
	defer w.finish() // also when a kill ends the goroutine (killAll)
	w.killAll()
}

// killAll kills every task still alive, in start order. Killing a task
// that recovers its kill ends the calling goroutine with runtime.Goexit
// (swallow.go), which runs deferred calls only: the deferred call goes on
// with the rest.
func (w *World) killAll() {
	defer func() {
		if w.alive() > 0 {
			w.killAll()
		}
	}()
	for t := w.firstTask(); t != nil; t = w.firstTask() {
		w.kill(t)
	}
}

// finish ends the run once its tasks are gone.
func (w *World) finish() {
	// Stopping the idle workers the pool does not keep (a task switch and
	// a goroutine's exit each, thousands after a run of many tasks) is the
	// engine's work, not code between steps: the watchdog waits for it,
	// as for a Slow call, where under the race detector on a loaded
	// machine it once took ten seconds for a run's code blocked.
	w.Slow(func() { w.cfg.Workers.put(w.pool, w.abandoned.Load()) })
	w.pool = nil
	w.state = finished
	w.endTurns()
	w.queue.all(func(s slot) { unschedule(s.e) })
	if w.cfg.Workers != nil && !w.abandoned.Load() {
		w.cfg.Workers.keepStore(w.giveStore())
	}
	w.queue = eventQueue{}
	if w.cancelRoots != nil {
		w.cancelRoots()
		w.cancelOwned()
	}
}

// takeStore makes st's storage the world's own, as New makes it.
func (w *World) takeStore(st *worldStore) {
	w.store = st
	w.deadlineTimers, st.deadlineTimers = st.deadlineTimers, nil
	w.spare, st.events = st.events, nil
	w.killPCs, st.killPCs = st.killPCs[:0], nil
}

// giveStore returns the storage of the finished world for the next run;
// the world keeps none of it. Its spare events and timers are those
// nothing holds.
func (w *World) giveStore() *worldStore {
	st := w.store
	if st == nil {
		st = &worldStore{}
	}
	w.store = nil
	st.deadlineTimers, w.deadlineTimers = w.deadlineTimers, nil
	st.events, w.spare = w.spare, nil
	st.killPCs, w.killPCs = w.killPCs, nil
	return st
}

// mix folds x into the trace hash h.
func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 31
	return h
}
