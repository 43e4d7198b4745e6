package sim

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// A ForeignCall is a call under way into code that the Go runtime cannot
// preempt: a program's WebAssembly, which wazero compiles to machine code
// with no safe points. A stack trace of every goroutine, and a goroutine
// profile, stop the world first, and the world cannot stop while such code
// runs: it stops only once the code calls out to Go (a host function), so
// a program goroutine that loops without calling the host would hold the
// watchdog's sample, and the whole test binary with it, forever. A sample
// waits a while (foreignWait) for the calls out in their code to call out
// to Go, which a program that computes between host calls soon does, and
// is given up if one does not: the watchdog then tells what the host
// knows instead.
type ForeignCall struct {
	out atomic.Bool // the call runs its own code, not a host function
	// stuck is set when a sample waited foreignWait for the call to call
	// out to Go, in vain, and cleared when it does: the samples that
	// follow do not wait for it again.
	stuck atomic.Bool
	// stopsSpins is how long the host lets the code run without calling
	// out before it stops it (program.Config.StopSpins); 0 if never.
	stopsSpins time.Duration
	world      *World // the world whose task made the call; nil off any
	task       *task
}

// foreignWait is how long a sample (stopWorld) waits for the ForeignCalls
// out in their code to call out to Go, polling every foreignPoll: a
// program computes for a while between two host calls, but not for a
// second unless it spins.
const (
	foreignWait = time.Second
	foreignPoll = time.Millisecond
)

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
// stopSpinsAfter is how long the host lets the code run without calling
// out before it stops the code (program.Config.StopSpins), or 0 if it
// never does.
func EnterForeign(ctx context.Context, stopSpinsAfter time.Duration) *ForeignCall {
	c := &ForeignCall{stopsSpins: max(stopSpinsAfter, 0)}
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
		if c.stuck.Load() {
			c.stuck.Store(false)
		}
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
// goroutine, a goroutine profile), once no ForeignCall in the process is
// out in its code, where it could not be stopped. It waits foreignWait
// for the calls out to call out to Go (no call goes back out meanwhile),
// and no longer for a call that made an earlier sample wait in vain and
// has not called out since; it reports whether sample ran: false when it
// could not look, which is not "nothing there".
func stopWorld(sample func()) bool {
	foreign.sampling.Add(1)
	defer foreign.sampling.Add(-1)
	deadline := time.Now().Add(foreignWait)
	for {
		c := outCall()
		if c == nil {
			break
		}
		if c.stuck.Load() || !time.Now().Before(deadline) {
			c.stuck.Store(true)
			return false
		}
		time.Sleep(foreignPoll)
	}
	sample()
	return true
}

// outCall returns a ForeignCall of the process that is out in its code,
// a stuck one first, or nil.
func outCall() *ForeignCall {
	foreign.mu.Lock()
	defer foreign.mu.Unlock()
	var out *ForeignCall
	for c := range foreign.calls {
		if c.out.Load() {
			if c.stuck.Load() {
				return c
			}
			out = c
		}
	}
	return out
}

// inForeign reports whether task t of w is in a ForeignCall, out in its
// code, and if so after how long the host stops the code should it spin
// (0: never).
func (w *World) inForeign(t *task) (in bool, stopsSpins time.Duration) {
	foreign.mu.Lock()
	defer foreign.mu.Unlock()
	for c := range foreign.calls {
		if c.world == w && c.task == t && c.out.Load() {
			return true, c.stopsSpins
		}
	}
	return false, 0
}
