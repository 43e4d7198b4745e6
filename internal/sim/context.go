package sim

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A simContext is a context the world makes for its tasks, for
// World.WithCancel and for the Time provider's deadlines. It does what
// package context's cancel and timer contexts do, as the world needs it:
//
//   - its children of the same kind are linked to it directly, so making
//     one costs one allocation and no map entry, and cancelling one takes
//     it out of its parent at once;
//   - its deadline is an event on the simulated clock, fired by a timer
//     the world reuses;
//   - the world does not ask for its Done channel to watch a parked
//     task (see waitChan): code under test asks, and package context
//     when it makes a context under it. The channel is then that of a
//     cancel context of package context's (its shadow), ended by the
//     simContext, so that package context registers its own contexts
//     under it, or under a context.WithValue of it, as it does under its
//     own: synchronously, with no goroutine.
//
// A simContext under the world's own contexts only (or under none that
// can be cancelled) is owned (see World.ownedWaiters): only the world's
// cancel calls end it, and they call cancelOwned. Its error is Canceled
// or DeadlineExceeded, and its cause is its error, as package context's
// under such parents.
//
// Under a context of package context's (ext: the nearest such context
// above it, as a task started under a context.WithCancel), it is not
// owned, and it is done when it or ext is: it looks at ext whenever it is
// asked, which is as good as ext cancelling it at once (package context
// cannot call the world's code when ext ends). Its Done channel's shadow
// is then package context's child of its parent, and the contexts
// package context makes under it end, when its deadline passes, with
// Canceled (and the cause DeadlineExceeded), as they did under the
// cancel context the world made there before.
//
// The world runs one task at a time, but a context may be handed to a
// goroutine outside the simulation (a library's): its state is read
// atomically and changed under mu.
type simContext struct {
	// What the world's polls read (waitChan, Err) comes first, in the
	// context's first cache line.
	state atomic.Uint32 // open, or which error ended it
	// waitFirst is the slot, plus one, of the first of the tasks parked
	// on it as an owned context other than their own (or on a context
	// that adds values to it), 0 if none: World.waitNext links the rest
	// (see ownedMarks).
	waitFirst   int32
	hasDeadline bool
	ownDeadline bool // the deadline is this context's, not its parent's
	// taskOwn is set on a task's own context (task.ownCtx): its end
	// marks the task, if the task waits on it (markWaiters).
	taskOwn bool
	// ext is nil when it is owned (see above). It is shared with the
	// contexts made under it, and a word, not an interface's two: the
	// context fits its size class with waitFirst.
	ext    *extParent
	w      *World
	parent context.Context
	// up is the simContext that cancels this one, nil when the parent is
	// never cancelled; prev and next link the children of up.
	up, prev, next *simContext
	first          *simContext    // the first child
	timer          *deadlineTimer // while its own deadline is pending
	deadline       time.Time
	// extra holds its Done channel once asked for, and what ends it: most
	// of the world's contexts are never asked, and live in a smaller size
	// class without these fields.
	extra atomic.Pointer[ctxExtra]
	mu    sync.Mutex
}

// An extParent holds a simContext's ext.
type extParent struct{ ctx context.Context }

// extCtx returns c's ext, nil if it is owned.
func (c *simContext) extCtx() context.Context {
	if c.ext == nil {
		return nil
	}
	return c.ext.ctx
}

// A ctxExtra is what a simContext keeps once its Done channel is made.
type ctxExtra struct {
	c    *simContext
	done <-chan struct{}
	// shadow is package context's cancel context whose Done channel is
	// c's, made with Done while c is open; end ends it with c's error
	// (see shadowParent), or cancel with c's error as the cause, when
	// c.ext is set. Both are cleared, under c.mu, once called.
	shadow context.Context
	end    func()
	cancel context.CancelCauseFunc
	// cause, when c was ended with a cause of its own (cancelWith), is
	// a done context of package context's that holds it: what the
	// shadow's parent answers package context's question for its cancel
	// context with, so that the shadow takes the cause as it ends.
	cause context.Context
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

// cancelCtxKey is the key with which package context asks a context for
// its own cancel context: Cause, for the cause it holds, and a context
// being made, for the parent to register with. A simContext answers with
// its shadow (nil until there is one), never with a cancel context above
// a parent that cannot be cancelled (context.WithoutCancel), whose cause
// is not its own. It is found once, by asking Cause.
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

// parentOf returns what a simContext made under parent links to: the
// simContext that cancels it (nil if none does) and ext (see
// simContext). It reports false for a parent whose cancellation package
// context cannot hand on at once (a context type of another package's,
// neither package context's nor one with an AfterFunc method): under it
// the world makes package context's contexts, as package context would.
//
// A parent the simulation does not own (ok false, or ext set) is where a
// deadline on the wall clock can come in: call (or, when task is set, the
// start of that task) under one fails the run (refuseWallDeadline).
func (w *World) parentOf(parent context.Context, call, task string) (up *simContext, ext context.Context, ok bool) {
	up, ext, ok = w.links(parent)
	if !ok || ext != nil {
		w.refuseWallDeadline(parent, call, task)
	}
	return up, ext, ok
}

// links is parentOf without its check of the parent's deadline.
func (w *World) links(parent context.Context) (up *simContext, ext context.Context, ok bool) {
	if c, ok := parent.(*simContext); ok && c.w == w {
		return c, c.extCtx(), true
	}
	if parent == nil {
		panic("sim: a task or a deadline made from a nil context (Task.Go, Time.WithDeadline, Time.WithTimeout); pass the task's ctx, or a context made from it")
	}
	d := parent.Done()
	if d == nil {
		return nil, nil, true
	}
	if c, _ := parent.Value(simContextKey{}).(*simContext); c != nil && c.w == w && c.Done() == d {
		return c, c.extCtx(), true // parent only adds values to c
	}
	if cc, _ := parent.Value(cancelCtxKey).(context.Context); cc != nil && cc.Done() == d {
		return nil, parent, true // package context's, or one that adds values to it
	}
	if _, ok := parent.(interface{ AfterFunc(func()) func() bool }); ok {
		return nil, parent, true
	}
	return nil, nil, false
}

// isOwned reports whether ctx can be cancelled only by the simulation:
// it is an owned simContext, a context that adds values to one, or one
// that is never cancelled. A wait, what, on one it does not own is
// checked for a wall-clock deadline (parentOf).
func (w *World) isOwned(ctx context.Context, what string) bool {
	_, ext, ok := w.parentOf(ctx, what, "")
	return ok && ext == nil
}

// newContext returns a simContext under parent, linked to up and ext (see
// parentOf), done at once if up is.
func (w *World) newContext(parent context.Context, up *simContext, ext context.Context) *simContext {
	c := &simContext{}
	w.initContext(c, parent, up, ext)
	return c
}

// initContext makes c, a zero simContext, what newContext returns: a task's
// own context lives in the task's allocation (spawnIn).
func (w *World) initContext(c *simContext, parent context.Context, up *simContext, ext context.Context) {
	c.parent, c.w = parent, w
	if ext != nil {
		if up != nil && up.ext != nil {
			c.ext = up.ext // links gave up's
		} else {
			c.ext = &extParent{ext}
		}
	}
	c.deadline, c.hasDeadline = parent.Deadline()
	if up == nil {
		return
	}
	up.mu.Lock()
	if s := up.state.Load(); s != ctxOpen {
		if side := up.extra.Load(); side != nil && side.cause != nil {
			c.causedBy(side.cause) // as up was
		}
		up.mu.Unlock()
		c.state.Store(s)
		return
	}
	c.up = up
	c.next = up.first
	if up.first != nil {
		up.first.prev = c
	}
	up.first = c
	up.mu.Unlock()
}

func (c *simContext) Deadline() (time.Time, bool) { return c.deadline, c.hasDeadline }

func (c *simContext) Done() <-chan struct{} {
	if s := c.extra.Load(); s != nil {
		return s.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.extra.Load(); s != nil {
		return s.done
	}
	s := &ctxExtra{c: c}
	switch {
	case c.state.Load() != ctxOpen:
		closed := make(chan struct{})
		close(closed)
		s.done = closed
	case c.ext != nil:
		// Package context hands ext's end on to the shadow, a child of
		// c's parent; c ends it for its own.
		s.shadow, s.cancel = context.WithCancelCause(c.parent)
		s.done = s.shadow.Done()
	default:
		var cancel context.CancelFunc
		s.shadow, cancel = context.WithCancel((*shadowParent)(s))
		_ = cancel // c ends its shadow through end, with its own error
		s.done = s.shadow.Done()
	}
	c.extra.Store(s)
	return s.done
}

func (c *simContext) Err() error {
	switch c.state.Load() {
	case ctxCanceled:
		return context.Canceled
	case ctxDeadline:
		return context.DeadlineExceeded
	}
	if c.ext != nil {
		return c.ext.ctx.Err()
	}
	return nil
}

func (c *simContext) Value(key any) any {
	switch key {
	case simContextKey{}:
		return c
	case SimDeadline{}:
		if c.ownDeadline {
			return c
		}
	case cancelCtxKey:
		// Package context asks this of a parent (or of a context that
		// adds values to it) whose Done channel it has, and Cause asks
		// it: the shadow, whose channel and error are c's, or nil.
		var shadow context.Context
		if s := c.extra.Load(); s != nil {
			shadow = s.shadow // set before s is stored, never changed
		}
		if shadow == nil && c.ext != nil && c.state.Load() == ctxOpen {
			return c.ext.ctx.Value(key) // the cause of ext's end
		}
		return shadow
	}
	return c.parent.Value(key)
}

func (c *simContext) String() string { return "sim.Context" }

// A shadowParent is the parent of a simContext's shadow: never done for
// package context, which registers the shadow with it through AfterFunc,
// and done with the simContext's error when the simContext ends it.
type shadowParent ctxExtra

func (p *shadowParent) Deadline() (time.Time, bool) { return time.Time{}, false }
func (p *shadowParent) Done() <-chan struct{}       { return p.c.w.neverDone() }
func (p *shadowParent) Err() error                  { return p.c.Err() }
func (p *shadowParent) Value(key any) any {
	if key == cancelCtxKey && p.cause != nil {
		return p.cause // set under the simContext's mu before end is called
	}
	return nil
}

// AfterFunc is called by package context, once, as it makes the shadow,
// with the function that ends it; the simContext calls it when it ends.
func (p *shadowParent) AfterFunc(f func()) (stop func() bool) {
	p.end = f // under the simContext's mu, held by Done, before extra is stored
	return keepShadow
}

// keepShadow is the stop function of a shadow's AfterFunc: package
// context calls it only when the shadow is cancelled by its own
// CancelFunc, which nothing calls.
func keepShadow() bool { return false }

// neverDone returns a channel that is never closed: a shadowParent's Done
// channel, and what waitChan gives for an owned simContext. New makes the
// world's two such channels, not their first use: a goroutine outside
// the simulation may ask a context for its Done channel at any time.
func (w *World) neverDone() <-chan struct{} { return w.never[0] }

// waitChan returns what park and the polls watch of ctx: its Done
// channel, or, for a simContext of the world's, one of the world's two
// channels that are never closed (one for the owned, one for the others:
// park remembers whether the channel it last saw is owned), which only
// say that the wait may end by its context; waitEnded looks at the
// context itself.
func (w *World) waitChan(ctx context.Context) <-chan struct{} {
	if c, ok := ctx.(*simContext); ok && c.w == w {
		if c.ext != nil {
			return w.never[1]
		}
		return w.never[0]
	}
	return ctx.Done()
}

// waitEnded reports whether ctx, watched through d (waitChan(ctx)), is
// done.
func (w *World) waitEnded(ctx context.Context, d <-chan struct{}) bool {
	if d == w.never[0] || d == w.never[1] {
		return ctx.(*simContext).Err() != nil
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
// With unlink, c leaves its parent's children too. It returns false if c
// was done already. A pending deadline stays queued, as the timer of
// package context's context does when a parent ends it: its event is
// part of the trace.
func (c *simContext) cancel(s uint32, unlink bool) bool {
	return c.cancelWith(s, unlink, nil)
}

// cancelWith is cancel with a cause: nil for the error itself, or a done
// context of package context's whose cause (context.Cause) is the end's.
// c, and every context it ends under it, answers context.Cause with that
// cause, as package context's contexts under one ended with a cause do.
func (c *simContext) cancelWith(s uint32, unlink bool, cause context.Context) bool {
	c.mu.Lock()
	if c.state.Load() != ctxOpen || c.ext != nil && c.ext.ctx.Err() != nil {
		// Done already: by its own end, or by ext's, which package
		// context handed on to its shadow and which its children see.
		c.mu.Unlock()
		if unlink {
			c.unlink()
		}
		return false
	}
	c.state.Store(s)
	first := c.first
	c.first = nil
	var end func()
	var endCause context.CancelCauseFunc
	side := c.extra.Load()
	switch {
	case side != nil:
		end, endCause = side.end, side.cancel
		side.end, side.cancel = nil, nil
		side.cause = cause
	case cause != nil:
		c.causedBy(cause)
	}
	c.mu.Unlock()
	if unlink {
		c.unlink()
	}
	if (c.taskOwn || c.waitFirst != 0) && c.ext == nil {
		c.w.markWaiters(c)
	}
	if end != nil {
		end()
	}
	if endCause != nil {
		if cause != nil {
			endCause(context.Cause(cause))
		} else {
			endCause(c.Err())
		}
	}
	for k := first; k != nil; {
		next := k.next
		k.up, k.prev, k.next = nil, nil, nil
		k.cancelWith(s, false, cause)
		k = next
	}
	return true
}

// causedBy has c, done and never asked for its Done channel, answer
// Done and Cause from cause, the done context that holds its cause.
func (c *simContext) causedBy(cause context.Context) {
	c.extra.Store(&ctxExtra{c: c, done: cause.Done(), shadow: cause, cause: cause})
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
	if !c.w.guardCancel() {
		c.cancel(ctxCanceled, true)
		return
	}
	c.cancelNoted()
}

// cancelNoted cancels c and has the owned waiters polled for it, unless
// no poll could find a waiter its end wakes (quiet).
func (c *simContext) cancelNoted() {
	quiet := c.quiet()
	if c.cancel(ctxCanceled, true) && !quiet {
		c.w.cancelOwned()
	}
}

// quiet reports whether ending c, open, changes nothing that the world's
// polls and parks look at, other than a task's wait on c as its own
// context, which the caller rules out: c is owned (no foreign waiter
// reads its state), no task parks on it (waitFirst), and no context hangs
// under it (first, and extra: package context's contexts, and any Done
// channel, are made through Done). The end of such a context, or of one
// already done, need not be noted by cancelOwned: no poll would find a
// waiter it ends, and a park on it looks at its state.
func (c *simContext) quiet() bool {
	if c.ext != nil || c.waitFirst != 0 || c.extra.Load() != nil {
		return false
	}
	c.mu.Lock()
	q := c.first == nil
	c.mu.Unlock()
	return q
}

// guardCancel is guard for the CancelFunc of World.WithCancel's
// contexts; it reports whether the run may still poll the world's
// waiters (cancelOwned). After the run, when the world has ended every
// context it made, a cancel changes nothing of the world and may come
// from anywhere, as a deferred cancel of package context's may: the run's
// end is told by the turn (loadActive), which any goroutine may read.
func (w *World) guardCancel() (live bool) {
	if w.loadActive() == runEnded {
		return false
	}
	w.guard("a context's cancel")
	return true
}

// cancelDeadline is the CancelFunc of the Time provider's deadlines: it
// stops the deadline's timer too. After the run it may be called from
// anywhere, as cancelFunc may, and only ends c: the timer may serve the
// next world of the Run's Workers by then.
func (c *simContext) cancelDeadline() { c.cancelDeadlineCause(nil) }

// cancelDeadlineCause is the CancelCauseFunc of the Time provider's
// WithDeadlineCancelCause: cancelDeadline, with cause as the context's
// cause (context.Cause) where it is not nil.
func (c *simContext) cancelDeadlineCause(cause error) {
	var with context.Context
	if cause != nil {
		var end context.CancelCauseFunc
		with, end = context.WithCancelCause(context.Background())
		end(cause)
	}
	w := c.w
	if w.loadActive() == runEnded {
		c.cancelWith(ctxCanceled, true, with)
		return
	}
	w.enter("a deadline's cancel")
	c.timer.stop()
	quiet := c.quiet()
	if c.cancelWith(ctxCanceled, true, with) && !quiet {
		w.cancelOwned()
	}
}

// withDeadline is the Time provider's WithDeadline for a parent that can
// have a simContext child (parentOf); a zero deadline adds none.
func (w *World) withDeadline(parent context.Context, up *simContext, ext context.Context, deadline time.Time) *simContext {
	c := w.newContext(parent, up, ext)
	// A deadline at or after the parent's is the parent's: it adds no
	// timer. The parent's may be on a host's clock, which the world
	// converts to its own to compare.
	if !deadline.IsZero() && (!c.hasDeadline || worldDeadline(parent, c.deadline).After(deadline)) {
		c.deadline, c.hasDeadline, c.ownDeadline = deadline, true, true
		// Under a parent that is done, the timer runs all the same, as
		// the world's timer of package context's deadline did: its event
		// is part of the trace.
		if at := SinceEpoch(deadline); at <= w.now {
			c.cancel(ctxDeadline, true)
		} else {
			c.timer = w.deadlineTimer(nil, c)
			w.schedule(&c.timer.ev, at)
		}
	}
	return c
}
