package sim

import (
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// The methods in this file let the test side watch a run without taking
// part in it: what they hook on never draws randomness and never enters
// the trace hash, so a run is the same run with or without them.

// Asserter records a run's assertions.
type Asserter = simctx.Asserter

// SetAsserter sends the run's assertions to a; nil drops them.
func (w *World) SetAsserter(a Asserter) { w.asserter = a }

// SetTestSide records what the test side keeps of the run (simtest's
// seed), for its code that holds only a context of the run: simctx.From
// finds the world, and TestSide what runs it.
func (w *World) SetTestSide(v any) { w.testSide = v }

// TestSide returns what SetTestSide recorded, or nil.
func (w *World) TestSide() any { return w.testSide }

// Asserter returns where the run's assertions go (simctx.Sim). An assertion
// is a call into the simulation: a stray goroutine's fails the run. It is
// nil once the watchdog gave the run up: the assertions of a task that
// comes back after that go nowhere.
//
// A crashed process's task (Group.Crash) gets one that notes a failure on
// the timeline, as ReportAfterCrash does, and then unwinds the task, as
// every call such a task makes into the simulation does: it counts nothing
// and fails nothing.
func (w *World) Asserter() simctx.Asserter {
	w.guard("an assertion")
	if c := w.cur; c != nil && c.mute {
		return crashedAsserter{w}
	}
	if w.abandoned.Load() {
		return nil
	}
	return w.asserter
}

// crashedAsserter is the Asserter of a crashed process's task.
type crashedAsserter struct{ w *World }

func (a crashedAsserter) Assert(x simctx.Assertion) {
	if x.Kind.IsAlways() && !x.OK {
		what := "failed"
		if x.Kind == simctx.Unreachable {
			what = "was reached"
		}
		a.w.ReportAfterCrash(fmt.Sprintf("%v %q %s", x.Kind, x.Msg, what))
	}
	a.w.enter("an assertion")
}

// ObserveRecoveredPanics sets fn to hear the panics that code under test
// recovered and reported (RecoveredPanic); nil removes it. fn reports
// whether it took the report.
func (w *World) ObserveRecoveredPanics(fn func(msg string, stack []byte) bool) { w.recovered = fn }

var _ simctx.PanicReporter = (*World)(nil)

// RecoveredPanic hands a panic that code under test recovered and went on
// from (a simhttp handler's) to the function ObserveRecoveredPanics set,
// and returns whether it took it (simctx.PanicReporter). Like an
// assertion, it is a call into the simulation: a stray goroutine's fails
// the run. Once the watchdog gave the run up, nothing takes it.
//
// A panic recovered in a task that unwinds from its kill was raised by
// a deferred call as the kill unwound it, and took the kill's place: the
// recover saw it, not the kill. It is reported as a killed task's own
// recovery reports it (body), and RecoveredPanic does not return: it
// throws the kill again, from the deferred call that recovered r, so the
// task goes on unwinding and ends as a killed task.
func (w *World) RecoveredPanic(r any, msg string, stack []byte) bool {
	w.guard("a recovered panic's report")
	if w.abandoned.Load() {
		return false
	}
	if t := w.cur; t != nil && t.unwinding {
		w.replacedKill(t, r, stack)
	}
	if w.recovered == nil {
		return false
	}
	return w.recovered(msg, stack)
}

// replacedKill reports r, a panic that a deferred call of t raised while
// t unwound from its kill, which code under test then recovered: a
// crashed process's is noted on the timeline, any other kill's fails the
// run (see body). It then throws the kill again. The caller runs in the
// deferred call that recovered r, under the panic: unwind sees a task
// still unwinding, not one that recovered its kill and went on.
func (w *World) replacedKill(t *task, r any, stack []byte) {
	if t.mute {
		w.note(t.shown(), t.group, t.afterCrash(panicAfterCrash, r, "raised"))
	} else {
		f := &Failure{Kind: Panic, Task: t.shown(), Msg: t.deferPanicMsg(r), Stack: string(stack)}
		if err, ok := r.(error); ok {
			f.Err = err
		}
		w.fail(f)
	}
	t.unwind()
}

// AfterStep sets fn to run on the scheduler after every step: each time a
// task parks or ends, and after each event callback. fn runs outside any
// task, so it must not block; nil removes it.
func (w *World) AfterStep(fn func()) { w.afterStep = fn }

// ObserveTimeline sets fn to hear every timeline entry as it is added; nil
// removes it. fn must not add entries itself. It hears nothing once the
// watchdog gave the run up.
func (w *World) ObserveTimeline(fn func(Entry)) {
	w.timeline.observe = nil
	if fn != nil {
		w.timeline.observe = func(e Entry) {
			if !w.abandoned.Load() {
				fn(e)
			}
		}
	}
}

// Op is one operation of a simulated device, as a picture of the run draws
// it: a message the network carried from one host to another, or an
// operation of a disk. Ops are heard only while someone observes them
// (ObserveOps); like timeline entries they never enter the trace hash.
type Op struct {
	Kind OpKind
	// Lost is set for a message that arrived at an end that could no
	// longer take it (closed, reset, or its host without power).
	Lost bool
	// Start and End are when a message was sent and arrived, or when a
	// disk operation was submitted and done.
	Start, End time.Duration
	// From and To are the hosts a message went from and to; a disk
	// operation has its disk's address in From.
	From, To string
	// Conn numbers a message's connection, the same at both ends; What
	// names its ends (10.0.0.254:49161->kv-0:7070), or the disk's
	// operation ("disk read", "disk write", "disk sync", "disk open",
	// "disk rename", ...).
	Conn uint64
	What string
	// File is a disk operation's file or directory, or a rename's
	// "old -> new".
	File  string
	Bytes int64
	// Asked is how many bytes a disk write was asked to write, when it
	// wrote fewer (Bytes) or none: a write cut short by a full disk.
	Asked int64
	// Err is why a disk operation did less than it was asked, as the
	// error number it returned (syscall.ENOSPC), or nil.
	Err error
	// Off is a disk read's or write's offset, or the size a truncate
	// sets; -1 for a disk operation with neither.
	Off int64
	// Task names the task that submitted a disk operation.
	Task string
}

// OpKind is what kind of operation an Op is.
type OpKind uint8

const (
	OpMessage OpKind = iota // a segment of bytes on a connection
	OpDisk                  // a read, write or sync of a disk
)

// ObserveOps sets fn to hear every device operation; nil removes it. A
// message is told when it arrives, a disk operation when it is submitted
// (its End already known). Devices ask ObservingOps first, so an unobserved run makes
// no Op at all.
func (w *World) ObserveOps(fn func(Op)) { w.ops = fn }

// ObservingOps reports whether a device should tell the world its
// operations (Op).
func (w *World) ObservingOps() bool { return w.ops != nil && !w.abandoned.Load() }

// Op tells the observer of device operations about o.
func (w *World) Op(o Op) {
	if w.ObservingOps() {
		w.ops(o)
	}
}
