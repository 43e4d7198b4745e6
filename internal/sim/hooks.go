package sim

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// The methods in this file are for the simulated devices built on the
// engine (network, disk, processes): they run on the scheduler, inside the
// task that calls them or inside an event.

// After calls fn on the scheduler d from now (fn must not block: it may wake
// tasks, start tasks, schedule more). The returned function cancels the call
// and reports whether it was still pending.
func (w *World) After(d time.Duration, fn func()) (cancel func() bool) {
	w.enter("After")
	e := &event{fn: fn}
	w.scheduleIn(e, d)
	return func() bool { return unschedule(e) }
}

// A Timer is a callback at a simulated instant that a device keeps and
// arms again and again, as After's, with nothing allocated per arming: a
// connection's deadline is one. The zero Timer is stopped.
type Timer struct{ e event }

// Arm makes t call fn on the scheduler d from now, as After does, in
// place of any call t had pending.
func (w *World) Arm(t *Timer, d time.Duration, fn func()) {
	w.enter("Arm")
	t.e.fn = fn
	w.scheduleIn(&t.e, d)
}

// ArmQuiet is Arm for a timer that most runs stop before it fires, such
// as a connect's give-up: arming and stopping it take no sequence number,
// so they leave the trace hash, and the numbers of the events scheduled
// after it, as they were. Only a run in which it fires differs from one
// that never armed it; its firing is hashed as any event's, with sequence
// number 0, in its place among the events of its instant, which fire in
// the order they were scheduled.
func (w *World) ArmQuiet(t *Timer, d time.Duration, fn func()) {
	w.enter("ArmQuiet")
	t.e.fn = fn
	w.queue.push(&t.e, w.instantIn(d), 0)
}

// Stop cancels t's pending call and reports whether there was one.
func (t *Timer) Stop() bool { return unschedule(&t.e) }

// Schedule calls fn on the scheduler d from now, as After does, but cannot
// be cancelled: its event goes back to the world once fired, for the next
// Schedule, so that a device that schedules an event per message or per
// operation allocates nothing for it in steady state.
func (w *World) Schedule(d time.Duration, fn func()) {
	w.enter("Schedule")
	e := w.spareEvent()
	e.fn = fn
	w.scheduleIn(e, d)
}

// WakeAfter calls fn, if not nil, and then wakes the task parked with tok,
// d from now, as an event of Schedule whose callback did both would, with
// no callback to make: a device that parks a task for the length of an
// operation allocates nothing for it.
func (w *World) WakeAfter(d time.Duration, tok providers.WaitToken, fn func()) {
	w.enter("WakeAfter")
	e := w.spareEvent()
	e.fn, e.tok, e.wakeTok = fn, tok, true
	w.scheduleIn(e, d)
}

// spareEvent returns a fired event of Schedule, or a new one, marked to go
// back to the spares once fired.
func (w *World) spareEvent() *event {
	if n := len(w.spare); n > 0 {
		e := w.spare[n-1]
		w.spare[n-1] = nil
		w.spare = w.spare[:n-1]
		e.spare = true
		return e
	}
	return &event{spare: true}
}

// Progress tells the world that the run moved on: a device delivered data
// or finished an operation. The livelock guard (Config.MaxStepsPerInstant)
// and the stall guard count steps and events since the last progress or
// the last move of the clock, so that a long workload at one simulated
// instant (a network with no latency) is not taken for a task that spins.
func (w *World) Progress() {
	w.armInstant()
	w.stall.progress(w.steps + w.events)
}

// Parker is the world's Task provider, through which devices park and wake
// tasks.
func (w *World) Parker() Parker { return (*taskProvider)(w) }

// Parker is the world's Task provider as the devices and the primitives
// of package providers use it: park the running task, wake a parked one,
// draw a choice, and check that the caller is the task whose turn it is.
// providers finds these methods on a simulation's Task by an interface of
// its own, kept off its public surface.
type Parker interface {
	providers.Task
	WaitToken() providers.WaitToken
	Park(ctx context.Context, tok providers.WaitToken, what string) error
	Wake(tok providers.WaitToken) bool
	Choose(n int) int
	Enter(what string)
}

// A Fault is an injected fault as it begins (FaultBegins): its kind
// ("clog", "disk stall", "pause"), the draw count before the draws of its
// extent, and what it strikes where that is known as it begins: the host,
// disk or process (On), and for a link the far end (To).
type Fault struct {
	Kind string
	At   uint64
	On   string
	To   string
}

// OnFault makes fn hear of each fault the devices inject as it begins
// (FaultBegins), and struck of what a fault begun strikes where that is
// drawn after it began (FaultStrikes): the hosts a random partition cuts.
// It draws nothing and hashes nothing, so a run that listens is the run
// that does not.
func (w *World) OnFault(fn func(Fault), struck func(where string)) {
	w.onFault, w.onFaultStrikes = fn, struck
}

// FaultBegins tells the listener (OnFault), if any, that fault f begins:
// f.At is the draw count before the draws that decide its extent (its
// length, which hosts), so that a run branched there draws them afresh.
// f holds strings the caller has, so that a run nothing listens to
// allocates nothing for it.
func (w *World) FaultBegins(f Fault) {
	if w.onFault != nil {
		w.onFault(f)
	}
}

// HearsFaults reports a listener (OnFault): a device describes what a
// fault strikes (FaultStrikes) only then, as the description costs.
func (w *World) HearsFaults() bool { return w.onFault != nil }

// FaultStrikes tells the listener (OnFault), if any, what the fault begun
// last strikes, drawn after it began: "{a b} | {c}" for a partition.
func (w *World) FaultStrikes(where string) {
	if w.onFaultStrikes != nil {
		w.onFaultStrikes(where)
	}
}

// Branched reports whether the run has branch points (Config.Branches):
// whether OnBranch's functions may be called.
func (w *World) Branched() bool { return len(w.cfg.Branches) > 0 }

// OnBranch makes fn run when the run's stream switches to a branch's
// source (Config.Branches), before the draw at the branch point: a device
// that drew ahead when something is to happen (the start of the next
// random partition) forgets it there, and draws it again from the
// branch's source, so that an exploration that branches after that draw
// can change it. fn must not draw. A run with no branches never calls
// it; every function given is called, in the order given.
func (w *World) OnBranch(fn func()) {
	if !w.Branched() {
		return
	}
	w.onBranch = append(w.onBranch, fn)
	if len(w.onBranch) == 1 {
		w.rng.OnSwitch(func() {
			for _, f := range w.onBranch {
				f()
			}
		})
	}
}

// Event records a happening of the run, such as a fault, in the timeline and
// in the trace hash, attributed to task (empty for the world itself) and,
// while task is alive, to its process.
func (w *World) Event(task, msg string) { w.EventKeyed(task, msg, msg) }

// EventKeyed is Event with the trace hashing key instead of msg, so that a
// refactor that keeps the behaviour keeps the traces: for a message that
// names a place in the source (file:line), key names the same thing in a
// way that an unrelated edit does not move; for a message told more
// precisely than it once was, key is what it used to say.
func (w *World) EventKeyed(task, key, msg string) {
	w.enter("Event")
	h := fnv.New64a()
	h.Write([]byte(key))
	w.trace = mix(w.trace, h.Sum64())
	w.timeline.add(Entry{At: time.Duration(w.now), Task: task, Process: w.groupOf(task).process(), Name: EventName(msg), Msg: msg, Event: true})
}

// Running reports whether the world is running (Run has begun and not
// ended).
func (w *World) Running() bool { return w.state == running }

// CurrentHandle returns the running task's handle, or nil outside any
// task.
func (w *World) CurrentHandle() providers.Handle {
	if w.cur == nil {
		return nil
	}
	return w.cur
}

// CurrentTask names the running task, or "" outside any task.
func (w *World) CurrentTask() string {
	if w.cur == nil {
		return ""
	}
	return w.cur.shown()
}
