package sim

import "github.com/moonpool-go/moonpool/internal/simctx"

// The methods in this file let the test side watch a run without taking
// part in it: what they hook on never draws randomness and never enters
// the trace hash, so a run is the same run with or without them.

// Asserter records a run's assertions.
type Asserter = simctx.Asserter

// SetAsserter sends the run's assertions to a; nil drops them.
func (w *World) SetAsserter(a Asserter) { w.asserter = a }

// Asserter returns where the run's assertions go (simctx.Sim). An assertion
// is a call into the simulation: a stray goroutine's fails the run. It is
// nil once the watchdog gave the run up: the assertions of a task that
// comes back after that go nowhere.
func (w *World) Asserter() simctx.Asserter {
	w.enter("an assertion")
	if w.abandoned.Load() {
		return nil
	}
	return w.asserter
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
