// Package simctx is how code under test finds the simulation it runs in: the
// simulation rides in the context.Context of every task it starts.
// Production-side packages (assertions, chaos) import only this package, so
// they never pull the engine into a production binary; outside a simulation
// From returns nil and they do nothing.
package simctx

import (
	"context"
	"fmt"
)

// Sim is what production-side packages may ask of the simulation they run in.
type Sim interface {
	// Seed is the seed of the run.
	Seed() uint64
	// Buggify decides whether the buggify site at pc fires now; fire is
	// the site's firing probability, or negative for the run's default.
	Buggify(pc uintptr, fire float64) bool
	// Asserter returns where the run's assertions go (package
	// assertions), or nil when nothing keeps them.
	Asserter() Asserter
}

type key struct{}

// With returns a context carrying s.
func With(ctx context.Context, s Sim) context.Context {
	return context.WithValue(ctx, key{}, s)
}

// From returns the simulation ctx carries, or nil.
func From(ctx context.Context) Sim {
	if ctx == nil {
		return nil
	}
	if s, ok := ctx.Value(key{}).(Sim); ok {
		return s
	}
	return guest()
}

// NamedBuggifier is what a simulation that lets a buggify site name itself
// adds to [Sim]. BuggifyNamed is Sim.Buggify for the site key (a program
// counter of the site's), told in the timeline as name rather than its
// file and line; the name changes no draw and no trace hash.
type NamedBuggifier interface {
	BuggifyNamed(key uintptr, name string, fire float64) bool
}

// RPCDropSite names the buggify site at which package rpc drops a
// connection on purpose. A report counts the site's firings ("buggify
// fired: " and this name, in the timeline) among the faults its seeds saw:
// each drops one connection.
const RPCDropSite = "rpc drops a connection"

// Crasher is what a simulation that can crash the process of the running
// task at a point of its code (chaos.CrashPoint) adds to [Sim]. CrashAt
// decides, as a buggify site at pc firing with probability fire, whether
// the process crashes there, and crashes it: the calling task does not
// return then.
type Crasher interface {
	CrashAt(pc uintptr, fire float64)
}

// NamedCrasher is what a simulation that lets a crash point name itself
// adds to [Sim], as [NamedBuggifier] does for a buggify site: a program's
// crash point, keyed by key and told in the timeline as name.
type NamedCrasher interface {
	CrashAtNamed(key uintptr, name string, fire float64)
}

// Drawer is what a simulation that can draw numbers for code under test
// (chaos.KnobRange) adds to [Sim]. Uint64N returns a number in [0, n)
// from the run's random stream; n == 0 draws a whole uint64.
type Drawer interface {
	Uint64N(n uint64) uint64
}

// PanicReporter is what a simulation that fails a run on a panic that code
// under test recovered adds to [Sim]. A server that recovers a handler's
// panic and goes on, as net/http's does (package simhttp), would let it
// pass unseen in a simulation: it reports it here instead.
type PanicReporter interface {
	// RecoveredPanic fails the run with msg, which says what panicked and
	// with what value, r; stack is runtime.Stack's text for the panicking
	// goroutine, taken in the deferred call that recovered the panic. It
	// returns whether the simulation took the report: false means nothing
	// keeps it, and the caller goes on as it would outside a simulation.
	// It never blocks and never draws randomness.
	//
	// Called in a task that the simulation is killing, it does not
	// return: r was raised by a deferred call as the kill unwound the
	// task, and took the kill's place. The simulation reports r as such
	// and throws the kill again, so the task goes on unwinding; the
	// caller must call it from the deferred call that recovered r.
	RecoveredPanic(r any, msg string, stack []byte) bool
}

// ReportPanic hands r, a panic that code under test recovered, to the
// simulation ctx carries, if it keeps such reports (PanicReporter), and
// returns whether it took it. The message is made from format and args
// only then: outside a simulation the caller logs the panic its own way.
// In a task that the simulation is killing it does not return (see
// PanicReporter): call it from the deferred call that recovered r.
func ReportPanic(ctx context.Context, r any, stack []byte, format string, args ...any) bool {
	rp, ok := From(ctx).(PanicReporter)
	return ok && rp.RecoveredPanic(r, fmt.Sprintf(format, args...), stack)
}
