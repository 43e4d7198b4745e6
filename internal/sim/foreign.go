package sim

import (
	"context"
	"sync"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// A ForeignCall is a call under way into code that the Go runtime cannot
// preempt: a program's WebAssembly, which wazero compiles to machine code
// with no safe points. A stack trace of every goroutine, and a goroutine
// profile, stop the world first, and the world cannot stop while such code
// runs: it stops only once the code calls out to Go (a host function), so
// a program goroutine that loops without calling the host would hold the
// watchdog's sample, and the whole test binary with it, forever. The
// watchdog takes no such sample while a ForeignCall is out in its code,
// and tells what the host knows instead.
type ForeignCall struct {
	inHost func() bool // the call is in a host function now, in Go code
	world  *World      // the world whose task made the call; nil off any
	task   *task
}

// foreignCalls holds the ForeignCalls under way in the process. It is the
// process's, not a world's, because a stop of the world is: a sample that
// one world's watchdog takes stops the goroutines of every other world
// and test in the binary too.
type foreignCalls struct {
	mu    sync.Mutex
	calls map[*ForeignCall]struct{}
}

var foreign = foreignCalls{calls: map[*ForeignCall]struct{}{}}

// EnterForeign notes that the calling goroutine is about to run code that
// the Go runtime cannot preempt, until End is called. inHost reports,
// from any goroutine, whether that code has called out to Go and is there
// now (the code may then be stopped). ctx is the calling task's, or one
// of no simulation (a program's initializers run for its snapshot).
func EnterForeign(ctx context.Context, inHost func() bool) *ForeignCall {
	c := &ForeignCall{inHost: inHost}
	if w, ok := simctx.From(ctx).(*World); ok && w.cur != nil {
		c.world, c.task = w, w.cur
	}
	foreign.mu.Lock()
	foreign.calls[c] = struct{}{}
	foreign.mu.Unlock()
	return c
}

// End notes that the call returned: its goroutine runs Go code again.
func (c *ForeignCall) End() {
	foreign.mu.Lock()
	delete(foreign.calls, c)
	foreign.mu.Unlock()
}

// canStopTheWorld reports whether a stack trace of every goroutine may be
// taken: no ForeignCall in the process is out in its code, where it could
// not be stopped. A call that leaves a host function just after may still
// hold the sample up, until it next calls the host.
func canStopTheWorld() bool {
	foreign.mu.Lock()
	defer foreign.mu.Unlock()
	for c := range foreign.calls {
		if !c.inHost() {
			return false
		}
	}
	return true
}

// inForeign reports whether task t of w is in a ForeignCall, out in its
// code.
func (w *World) inForeign(t *task) bool {
	foreign.mu.Lock()
	defer foreign.mu.Unlock()
	for c := range foreign.calls {
		if c.world == w && c.task == t && !c.inHost() {
			return true
		}
	}
	return false
}
