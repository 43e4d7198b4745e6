package sim

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A simContext is a context the world makes for its tasks, for
// World.WithCancel and for the Time provider's deadlines, when the parent
// is one of its own (or can never be cancelled). It does what package
// context's cancel and timer contexts do, as the world needs it:
//
//   - its children of the same kind are linked to it directly, so making
//     one costs one allocation and no map entry, and cancelling one takes
//     it out of its parent at once;
//   - its deadline is an event on the simulated clock, fired by a timer
//     the world reuses;
//   - the world itself never asks for its Done channel (see waitChan):
//     only code under test does, and package context, when it makes a
//     context under it. The channel is then that of a cancel context of
//     package context's (its shadow), ended by the simContext, so that
//     package context registers its own contexts under it, or under a
//     context.WithValue of it, as it does under its own: synchronously,
//     with no goroutine.
//
// Every simContext is owned (see World.ownedWaiters): only the world's
// cancel calls end it, and they call cancelOwned. Its error is Canceled
// or DeadlineExceeded, and its cause is its error, as a cancel or timer
// context of package context whose parents have no cause of their own.
//
// The world runs one task at a time, but a context may be handed to a
// goroutine outside the simulation (a library's): its state is read
// atomically and changed under mu.
type simContext struct {
	parent context.Context
	w      *World
	// up is the simContext that cancels this one, nil when the parent is
	// never cancelled; prev and next link the children of up.
	up, prev, next *simContext
	first          *simContext    // the first child
	timer          *deadlineTimer // while its own deadline is pending
	deadline       time.Time
	done           unsafe.Pointer // its Done channel (a chan struct{}) once made
	// shadow is package context's cancel context whose Done channel is
	// c's, made with Done while c is open; shadowEnd ends it with c's
	// error (see shadowParent).
	shadow      context.Context
	shadowEnd   func()
	mu          sync.Mutex
	state       atomic.Uint32 // open, or which error ended it
	hasDeadline bool
	ownDeadline bool // the deadline is this context's, not its parent's
}

// The states of a simContext.
const (
	ctxOpen uint32 = iota
	ctxCanceled
	ctxDeadline
)

// simContextKey is the key under which a simContext answers Value with
// itself, so that a context wrapping one (context.WithValue) can be
// recognised as done exactly when it is.
type simContextKey struct{}

// cancelCtxKey is the key with which context.Cause asks a context for the
// package's cancel context that holds its cause. A simContext answers it
// with nil, so that Cause returns the context's own error rather than the
// cause of a cancel context above a parent that cannot be cancelled
// (context.WithoutCancel). It is found once, by asking Cause.
var cancelCtxKey = func() any {
	p := &keyProbe{}
	_ = context.Cause(p)
	return p.key
}()

// keyProbe is a done context that records the key it was asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Err() error { return context.Canceled }

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// ownParent reports whether a context made by the world under parent can
// be a simContext, and the simContext that would cancel it (nil when
// parent is never cancelled).
func (w *World) ownParent(parent context.Context) (*simContext, bool) {
	if c, ok := parent.(*simContext); ok {
		return c, c.w == w
	}
	d := parent.Done()
	if d == nil {
		return nil, true
	}
	if c, _ := parent.Value(simContextKey{}).(*simContext); c != nil && c.w == w && c.Done() == d {
		return c, true // parent only adds values to c
	}
	return nil, false
}

// newContext returns a simContext under parent, linked to up (see
// ownParent), done at once if up is.
func (w *World) newContext(parent context.Context, up *simContext) *simContext {
	c := &simContext{parent: parent, w: w}
	c.deadline, c.hasDeadline = parent.Deadline()
	if up == nil {
		return c
	}
	up.mu.Lock()
	if s := up.state.Load(); s != ctxOpen {
		up.mu.Unlock()
		c.state.Store(s)
		return c
	}
	c.up = up
	c.next = up.first
	if up.first != nil {
		up.first.prev = c
	}
	up.first = c
	up.mu.Unlock()
	return c
}

func (c *simContext) Deadline() (time.Time, bool) { return c.deadline, c.hasDeadline }

func (c *simContext) Done() <-chan struct{} {
	if p := atomic.LoadPointer(&c.done); p != nil {
		return *(*chan struct{})(unsafe.Pointer(&p))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.done; p != nil {
		return *(*chan struct{})(unsafe.Pointer(&p))
	}
	var ch <-chan struct{}
	if c.state.Load() != ctxOpen {
		closed := make(chan struct{})
		close(closed)
		ch = closed
	} else {
		var cancel context.CancelFunc
		c.shadow, cancel = context.WithCancel((*shadowParent)(c))
		_ = cancel // c ends its shadow through shadowEnd, with its own error
		ch = c.shadow.Done()
	}
	atomic.StorePointer(&c.done, *(*unsafe.Pointer)(unsafe.Pointer(&ch)))
	return ch
}

func (c *simContext) Err() error {
	switch c.state.Load() {
	case ctxCanceled:
		return context.Canceled
	case ctxDeadline:
		return context.DeadlineExceeded
	}
	return nil
}

func (c *simContext) Value(key any) any {
	switch key {
	case simContextKey{}:
		return c
	case simDeadline{}:
		if c.ownDeadline {
			return c
		}
	case cancelCtxKey:
		// Package context asks this of a parent (or of a context that
		// adds values to it) whose Done channel it has, and Cause asks
		// it: the shadow, whose channel and error are c's, or nil.
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.shadow
	}
	return c.parent.Value(key)
}

func (c *simContext) String() string { return "sim.Context" }

// A shadowParent is the parent of a simContext's shadow: never done for
// package context, which registers the shadow with it through AfterFunc,
// and done with the simContext's error when the simContext ends it.
type shadowParent simContext

func (p *shadowParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *shadowParent) Done() <-chan struct{}       { return p.w.neverDone() }
func (p *shadowParent) Err() error                  { return (*simContext)(p).Err() }
func (p *shadowParent) Value(any) any               { return nil }

// AfterFunc is called by package context, once, as it makes the shadow,
// with the function that ends it; the simContext calls it when it ends.
func (p *shadowParent) AfterFunc(f func()) (stop func() bool) {
	p.shadowEnd = f // under the simContext's mu, held by Done
	return keepShadow
}

// keepShadow is the stop function of a shadow's AfterFunc: package
// context calls it only when the shadow is cancelled by its own
// CancelFunc, which nothing calls.
func keepShadow() bool { return false }

// neverDone returns a channel that is never closed: a shadowParent's Done
// channel, and what waitChan gives for a simContext.
func (w *World) neverDone() <-chan struct{} {
	if w.never == nil {
		w.never = make(chan struct{})
	}
	return w.never
}

// waitChan returns what park and the polls watch of ctx: its Done
// channel, or, for a simContext of the world's, the world's channel
// that is never closed, which only says that the wait may end by its
// context (waitEnded looks at the context itself).
func (w *World) waitChan(ctx context.Context) <-chan struct{} {
	if c, ok := ctx.(*simContext); ok && c.w == w {
		return w.neverDone()
	}
	return ctx.Done()
}

// waitEnded reports whether ctx, watched through d (waitChan(ctx)), is
// done.
func (w *World) waitEnded(ctx context.Context, d <-chan struct{}) bool {
	if d == w.never {
		return ctx.(*simContext).state.Load() != ctxOpen
	}
	select {
	case <-d:
		return true
	default:
		return false
	}
}

// cancel ends c with state s, then its shadow (and with it package
// context's contexts under c), then its own children, most recent first.
// With unlink, c leaves its
// parent's children too. It returns false if c was done already. A
// pending deadline stays queued, as the timer of package context's
// context does when a parent ends it: its event is part of the trace.
func (c *simContext) cancel(s uint32, unlink bool) bool {
	c.mu.Lock()
	if c.state.Load() != ctxOpen {
		c.mu.Unlock()
		return false
	}
	c.state.Store(s)
	first, end := c.first, c.shadowEnd
	c.first, c.shadowEnd = nil, nil
	c.mu.Unlock()
	if unlink {
		c.unlink()
	}
	if end != nil {
		end()
	}
	for k := first; k != nil; {
		next := k.next
		k.up, k.prev, k.next = nil, nil, nil
		k.cancel(s, false)
		k = next
	}
	return true
}

// unlink takes c out of the children of the context that cancels it.
func (c *simContext) unlink() {
	up := c.up
	if up == nil {
		return
	}
	up.mu.Lock()
	if c.prev != nil {
		c.prev.next = c.next
	} else if up.first == c {
		up.first = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.up, c.prev, c.next = nil, nil, nil
	up.mu.Unlock()
}

// cancelFunc is the CancelFunc of a context of World.WithCancel.
func (c *simContext) cancelFunc() {
	c.cancel(ctxCanceled, true)
	c.w.cancelOwned()
}

// cancelDeadline is the CancelFunc of the Time provider's deadlines: it
// stops the deadline's timer too.
func (c *simContext) cancelDeadline() {
	w := c.w
	w.enter("a deadline's cancel")
	if t := c.timer; t != nil {
		unschedule(&t.ev)
		t.release()
	}
	c.cancel(ctxCanceled, true)
	w.cancelOwned()
}

// withDeadline is the Time provider's WithDeadline for a parent that can
// have a simContext child (ownParent).
func (w *World) withDeadline(parent context.Context, up *simContext, deadline time.Time) (context.Context, context.CancelFunc) {
	c := w.newContext(parent, up)
	// A deadline at or after the parent's is the parent's: it adds no
	// timer.
	if !c.hasDeadline || c.deadline.After(deadline) {
		c.deadline, c.hasDeadline, c.ownDeadline = deadline, true, true
		if c.state.Load() == ctxOpen {
			if at := int64(deadline.Sub(Epoch)); at <= w.now {
				c.cancel(ctxDeadline, true)
			} else {
				c.timer = w.deadlineTimer(nil, c)
				w.schedule(&c.timer.ev, at)
			}
		}
	}
	return c, c.cancelDeadline
}
