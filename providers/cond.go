package providers

import (
	"context"
	"sync"
)

// Cond is a condition variable that a simulation can see: use it where the
// code would use a sync.Cond, to wait for state guarded by a [Mutex] to
// change (a log's high watermark to move, a queue to fill). Unlike
// sync.Cond, Wait takes a context and gives up when it is done.
//
// As with sync.Cond, the waiter holds the Mutex, checks its condition and
// calls Wait in a loop until the condition holds; the code that changes
// the state calls Signal or Broadcast, with or without the Mutex held.
// Wait unlocks the Mutex and waits in one step, so no Signal made between
// the check and the wait is lost, and it returns with the Mutex locked
// again whatever it returns.
//
// In a simulation the wake order is defined: Signal wakes the task that
// has waited longest, and Broadcast wakes every waiting task, in the order
// they began to wait. Woken tasks run when the scheduler draws them from
// the run's seed, as any tasks ready at once, and retake the Mutex in the
// order they ask for it. So a run is still a function of its seed.
// Outside a simulation the order is the Go runtime's.
type Cond struct {
	m *Mutex
	p parker // simulation; nil in production

	// Simulation state. A waiter's val is set when Signal woke it, not
	// Broadcast: a task killed before it ran passes that wake-up on.
	q waitq[bool]

	// Production state: waiters in arrival order, each with a channel that
	// is closed to wake it.
	mu sync.Mutex
	rq waitq[chan struct{}]
}

// NewCond returns a Cond whose Wait waits on t and unlocks and relocks m,
// which must be made with the same Task.
func NewCond(t Task, m *Mutex) *Cond {
	p := parkerOf(t, "NewCond")
	if m == nil {
		panic("providers: NewCond with a nil Mutex; pass the Mutex that guards the condition (providers.NewMutex(p.Task))")
	}
	if m.p != p || (p == nil && m.ch == nil) {
		panic("providers: NewCond with a Mutex made with another Task; make the Mutex and the Cond with the same p.Task")
	}
	return &Cond{m: m, p: p}
}

// Wait unlocks the Mutex, waits until Signal or Broadcast wakes it or ctx
// is done, and locks the Mutex again before it returns, in every case. It
// returns nil when it was woken, even if ctx is done by then, and ctx's
// error when ctx ended the wait first. A wake-up says only that the state
// may have changed: check the condition again, in a loop.
//
// Wait panics if the Mutex is not locked. As with sync.Cond, it must be
// locked by the caller; a lock held by another task cannot be told apart.
//
// In a simulation, a task killed in Wait is taken to hold the Mutex again
// as it unwinds, so that an Unlock its defers make finds it locked; should
// another task hold it at that instant, that Unlock leaves it to its
// holder. A task of a crashed process is not, as the Unlocks its defers
// make act on nothing: the Mutex stays free for the tasks that outlive
// it. A Signal that woke a task killed before its Wait returned wakes the
// next waiter instead.
//
// Not inlined, so that its call site can be read from its frame.
//
//go:noinline
func (c *Cond) Wait(ctx context.Context) error {
	if c.p == nil {
		return c.waitReal(ctx)
	}
	c.p.Enter("cond wait")
	if !c.m.locked {
		panic(waitUnlocked)
	}
	w := &waiter[bool]{tok: c.p.WaitToken()}
	c.q.push(w)
	c.m.Unlock()
	relocked := false
	defer func() {
		c.q.remove(w)
		if relocked {
			return
		}
		// The task was killed and unwinds. This is the Cond's and the
		// Mutex's own bookkeeping, done for a crashed process too.
		if w.done && w.val {
			c.signal()
		}
		if cr, ok := c.p.(crashReporter); ok && cr.Crashed() {
			// A crashed process's task: the Unlock its defers make
			// acts on nothing, so it must not hold m again, or m
			// would stay locked for the tasks that outlive it.
			return
		}
		c.m.retakeUnwinding()
	}()
	err := c.p.Park(ctx, w.tok, "cond wait")
	c.q.remove(w)
	// The wait for the Mutex is not the caller's to give up: Wait returns
	// with it locked, and a Lock under a context that cannot end returns
	// only once it holds it.
	_ = c.m.Lock(context.WithoutCancel(ctx))
	c.m.lockedByCaller()
	relocked = true
	if w.done {
		return nil
	}
	return parked(err)
}

// crashReporter is implemented by a parker whose killed tasks may be a
// crashed process's, whose calls into the simulation act on nothing while
// they unwind: the simulation's.
type crashReporter interface {
	Crashed() bool
}

// Signal wakes one task waiting in Wait, if there is one: in a simulation,
// the one that has waited longest.
func (c *Cond) Signal() {
	if c.p == nil {
		c.mustReal()
		c.mu.Lock()
		defer c.mu.Unlock()
		if w := c.rq.head; w != nil {
			c.wakeReal(w)
		}
		return
	}
	c.p.Enter("cond signal")
	c.signal()
}

func (c *Cond) signal() {
	if w := c.q.wake(c.p); w != nil {
		w.val = true
	}
}

// Broadcast wakes every task waiting in Wait: in a simulation, in the order
// they began to wait.
func (c *Cond) Broadcast() {
	if c.p == nil {
		c.mustReal()
		c.mu.Lock()
		defer c.mu.Unlock()
		for w := c.rq.head; w != nil; w = c.rq.head {
			c.wakeReal(w)
		}
		return
	}
	c.p.Enter("cond broadcast")
	for c.q.wake(c.p) != nil {
	}
}

// waitReal is Wait on real goroutines. The waiter is queued before the
// Mutex is unlocked, so a Signal made after the caller checked its
// condition finds it.
func (c *Cond) waitReal(ctx context.Context) error {
	c.mustReal()
	w := &waiter[chan struct{}]{val: make(chan struct{})}
	c.mu.Lock()
	c.rq.push(w)
	c.mu.Unlock()
	select {
	case <-c.m.ch:
	default:
		c.mu.Lock()
		c.rq.remove(w)
		c.mu.Unlock()
		panic(waitUnlocked)
	}
	var err error
	select {
	case <-w.val:
	case <-ctx.Done():
		c.mu.Lock()
		if !w.done { // else a wake-up came too, and wins
			c.rq.remove(w)
			err = ctx.Err()
		}
		c.mu.Unlock()
	}
	c.m.ch <- struct{}{}
	return err
}

// wakeReal dequeues w and wakes it; c.mu is held.
func (c *Cond) wakeReal(w *waiter[chan struct{}]) {
	c.rq.remove(w)
	w.done = true
	close(w.val)
}

const waitUnlocked = "providers: Cond.Wait with its Mutex unlocked; lock the Mutex, check the condition, and call Wait in a loop while it does not hold"

func (c *Cond) mustReal() {
	if c.m == nil {
		panic("providers: Cond used without NewCond; make Conds with NewCond")
	}
}
