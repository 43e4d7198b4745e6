package sim

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

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
	out   atomic.Bool // the call runs its own code, not a host function
	world *World      // the world whose task made the call; nil off any
	task  *task
}

// foreignCalls holds the ForeignCalls under way in the process. It is the
// process's, not a world's, because a stop of the world is: a sample that
// one world's watchdog takes stops the goroutines of every other world
// and test in the binary too.
type foreignCalls struct {
	mu    sync.Mutex
	calls map[*ForeignCall]struct{}
	// sampling counts the samples under way (stopWorld): a call does not
	// go back out into its code meanwhile (Out).
	sampling atomic.Int32
}

var foreign = foreignCalls{calls: map[*ForeignCall]struct{}{}}

// EnterForeign notes that the calling goroutine is about to run code that
// the Go runtime cannot preempt, until End is called, and returns once it
// may (Out). The host tells each call out to Go with In, and each return
// to the code with Out. ctx is the calling task's, or one of no
// simulation (a program's initializers run for its snapshot).
func EnterForeign(ctx context.Context) *ForeignCall {
	c := &ForeignCall{}
	if w, ok := simctx.From(ctx).(*World); ok && w.cur != nil {
		c.world, c.task = w, w.cur
	}
	foreign.mu.Lock()
	foreign.calls[c] = struct{}{}
	foreign.mu.Unlock()
	c.Out()
	return c
}

// In notes that the call's code called out to Go, where it may be
// stopped (a nil call has none).
func (c *ForeignCall) In() {
	if c != nil {
		c.out.Store(false)
	}
}

// Out notes that the calling goroutine goes back into the call's code
// (a nil call has none), once no sample is under way: one that began may have found the call in
// Go, and must not find it gone when the world stops. (Each side stores,
// then loads what the other stores, so one of them sees the other.)
func (c *ForeignCall) Out() {
	for c != nil {
		c.out.Store(true)
		if foreign.sampling.Load() == 0 {
			return
		}
		c.out.Store(false)
		for foreign.sampling.Load() > 0 {
			runtime.Gosched()
		}
	}
}

// End notes that the call returned: its goroutine runs Go code again.
func (c *ForeignCall) End() {
	foreign.mu.Lock()
	delete(foreign.calls, c)
	foreign.mu.Unlock()
}

// stopWorld runs sample, which stops the world (a stack trace of every
// goroutine, a goroutine profile), unless a ForeignCall in the process is
// out in its code, where it could not be stopped; it reports whether
// sample ran. No call goes back out into its code while sample runs.
func stopWorld(sample func()) bool {
	foreign.sampling.Add(1)
	defer foreign.sampling.Add(-1)
	foreign.mu.Lock()
	for c := range foreign.calls {
		if c.out.Load() {
			foreign.mu.Unlock()
			return false
		}
	}
	foreign.mu.Unlock()
	sample()
	return true
}

// inForeign reports whether task t of w is in a ForeignCall, out in its
// code.
func (w *World) inForeign(t *task) bool {
	foreign.mu.Lock()
	defer foreign.mu.Unlock()
	for c := range foreign.calls {
		if c.world == w && c.task == t && c.out.Load() {
			return true
		}
	}
	return false
}
