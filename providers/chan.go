package providers

import (
	"context"
	"runtime"
)

// Chan is a channel of values of type T that a simulation can see: use it
// where the code would use a chan T. It has Go's channel semantics: a FIFO
// buffer of fixed capacity, a hand-off between sender and receiver when
// unbuffered, and a Close that ends every receive once the buffer is drained.
//
// A Chan made with the real Task provider is a plain chan T. One made with a
// simulation's Task blocks by parking the calling task, and belongs to that
// simulation: use it only from its tasks.
//
// Blocking methods take a context and give up with its error when it is done
// before they can proceed; an operation that can proceed at once does so
// even if the context is already done.
type Chan[T any] struct {
	ch chan T // production
	p  parker // simulation; nil in production

	// Simulation state. One task runs at a time, so it needs no lock.
	buf    []T // ring buffer, len(buf) is the capacity
	head   int // index of the oldest buffered value
	n      int // number of buffered values
	closed bool
	recvq  waitq[T] // parked receivers, only while the buffer is empty
	sendq  waitq[T] // parked senders, only while the buffer is full
	// spare is a waiter done with, for the next blocking operation: a
	// Chan that a task waits on over and over allocates none.
	spare *waiter[T]
}

// NewChan returns a Chan that buffers up to capacity values, blocking on t:
// it is a plain chan T unless t is a simulation's Task.
// Capacity 0 makes an unbuffered Chan.
func NewChan[T any](t Task, capacity int) *Chan[T] {
	if capacity < 0 {
		panic("providers: NewChan with a negative capacity; use 0 for an unbuffered Chan")
	}
	p := parkerOf(t, "NewChan")
	if p == nil {
		return &Chan[T]{ch: make(chan T, capacity)}
	}
	return &Chan[T]{p: p, buf: make([]T, capacity)}
}

// parkerOf returns t as a parker, or nil for a Task that blocks through the
// Go runtime. It panics on a nil t, which would otherwise make a real
// primitive inside a simulation.
func parkerOf(t Task, fn string) parker {
	if t == nil {
		panic("providers: " + fn + " with a nil Task; pass the Task of your Providers (p.Task)")
	}
	p, _ := t.(parker)
	return p
}

// Send sends v, blocking until a receiver takes it or buffer space is free,
// or until ctx is done, in which case it returns ctx's error and v is not
// sent. Send on a closed Chan panics, as does a Send blocked when the Chan is
// closed.
func (c *Chan[T]) Send(ctx context.Context, v T) error {
	if c.p == nil {
		if c.trySendReal(v) {
			return nil
		}
		return c.sendReal(ctx, v)
	}
	c.p.Enter("chan send")
	if c.trySend(v) {
		return nil
	}
	w := c.waiter()
	w.tok, w.val = c.p.WaitToken(), v
	c.sendq.push(w)
	defer c.sendq.remove(w) // when Park unwinds a killed task
	err := c.p.Park(ctx, w.tok, "chan send")
	c.sendq.remove(w)
	done, closed := w.done, w.closed
	c.release(w)
	if done {
		if closed {
			panic(sendClosed)
		}
		return nil
	}
	return parked(err)
}

// waiter returns a waiter for a blocking operation, the spare if there is
// one.
func (c *Chan[T]) waiter() *waiter[T] {
	if w := c.spare; w != nil {
		c.spare = nil
		return w
	}
	return new(waiter[T])
}

// release keeps w, out of every queue and read, as the spare.
func (c *Chan[T]) release(w *waiter[T]) {
	*w = waiter[T]{}
	c.spare = w
}

// Recv receives a value, blocking until one is sent or buffered, or until
// ctx is done, in which case it returns ctx's error. ok is false when the
// Chan is closed and drained; v is then T's zero value.
func (c *Chan[T]) Recv(ctx context.Context) (v T, ok bool, err error) {
	if c.p == nil {
		if v, ok, ready := c.TryRecv(); ready {
			return v, ok, nil
		}
		select {
		case v, ok = <-c.ch:
			return v, ok, nil
		case <-ctx.Done():
			return v, false, ctx.Err()
		}
	}
	c.p.Enter("chan receive")
	if v, ok, ready := c.tryRecv(); ready {
		return v, ok, nil
	}
	w := c.waiter()
	w.tok = c.p.WaitToken()
	c.recvq.push(w)
	defer c.recvq.remove(w) // when Park unwinds a killed task
	err = c.p.Park(ctx, w.tok, "chan receive")
	c.recvq.remove(w)
	done := w.done
	if done {
		v, ok = w.val, w.ok
	}
	c.release(w)
	if done {
		return v, ok, nil
	}
	return v, false, parked(err)
}

// TrySend sends v if it can do so without blocking, and reports whether it
// did. TrySend on a closed Chan panics.
func (c *Chan[T]) TrySend(v T) bool {
	if c.p == nil {
		return c.trySendReal(v)
	}
	c.p.Enter("chan send")
	return c.trySend(v)
}

// TryRecv receives a value if it can do so without blocking. ready reports
// whether it could: when false, the Chan is open and has nothing to give.
// v and ok are as for [Chan.Recv].
func (c *Chan[T]) TryRecv() (v T, ok, ready bool) {
	if c.p == nil {
		c.mustReal()
		select {
		case v, ok = <-c.ch:
			return v, ok, true
		default:
			return v, false, false
		}
	}
	c.p.Enter("chan receive")
	return c.tryRecv()
}

// Close closes the Chan: receivers get the buffered values, then T's zero
// value with ok false. Receivers blocked at the time are released, and
// senders blocked at the time panic. Closing a closed Chan panics.
func (c *Chan[T]) Close() {
	if c.p == nil {
		c.mustReal()
		defer repanic("close of closed channel", closeClosed)
		close(c.ch)
		return
	}
	c.p.Enter("chan close")
	if c.closed {
		panic(closeClosed)
	}
	c.closed = true
	for w := c.recvq.wake(c.p); w != nil; w = c.recvq.wake(c.p) {
		// w.val is already T's zero value, and w.ok false.
	}
	for w := c.sendq.wake(c.p); w != nil; w = c.sendq.wake(c.p) {
		w.closed = true
	}
}

// Len returns the number of values buffered.
func (c *Chan[T]) Len() int {
	if c.p == nil {
		return len(c.ch)
	}
	return c.n
}

// Cap returns the capacity of the buffer.
func (c *Chan[T]) Cap() int {
	if c.p == nil {
		return cap(c.ch)
	}
	return len(c.buf)
}

const (
	sendClosed  = "providers: send on closed Chan"
	closeClosed = "providers: close of closed Chan"
)

// Production mode.

func (c *Chan[T]) mustReal() {
	if c.ch == nil {
		panic("providers: Chan used without NewChan; make Chans with NewChan")
	}
}

func (c *Chan[T]) trySendReal(v T) bool {
	c.mustReal()
	defer repanic("send on closed channel", sendClosed)
	select {
	case c.ch <- v:
		return true
	default:
		return false
	}
}

func (c *Chan[T]) sendReal(ctx context.Context, v T) error {
	defer repanic("send on closed channel", sendClosed)
	select {
	case c.ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// repanic, deferred, turns the runtime's panic with message rt into a panic
// with msg, so that both modes panic alike. Other panics go on unchanged.
func repanic(rt, msg string) {
	if r := recover(); r != nil {
		if e, ok := r.(runtime.Error); ok && e.Error() == rt {
			panic(msg)
		}
		panic(r)
	}
}

// Simulation mode. A parked receiver implies an empty buffer, and a parked
// sender a full one (or no buffer), as in the Go runtime; parked waiters may
// be stale, and waitq.wake skips those.

// trySend completes a send if it can without parking.
func (c *Chan[T]) trySend(v T) bool {
	if c.closed {
		panic(sendClosed)
	}
	if w := c.recvq.wake(c.p); w != nil {
		w.val, w.ok = v, true
		return true
	}
	if c.n < len(c.buf) {
		c.buf[(c.head+c.n)%len(c.buf)] = v
		c.n++
		return true
	}
	return false
}

// tryRecv completes a receive if it can without parking.
func (c *Chan[T]) tryRecv() (v T, ok, ready bool) {
	if c.n > 0 {
		var zero T
		v, c.buf[c.head] = c.buf[c.head], zero
		c.head = (c.head + 1) % len(c.buf)
		c.n--
		// The first parked sender's value takes the freed slot, so values
		// keep the order of their sends.
		if w := c.sendq.wake(c.p); w != nil {
			c.buf[(c.head+c.n)%len(c.buf)] = w.val
			c.n++
			w.val = zero
		}
		return v, true, true
	}
	if w := c.sendq.wake(c.p); w != nil {
		var zero T
		v, w.val = w.val, zero
		return v, true, true
	}
	if c.closed {
		return v, false, true
	}
	return v, false, false
}

// canSend and canRecv report whether trySend and tryRecv might complete. They
// draw nothing and wake nobody, so that Select can choose among its ready
// cases before it commits to one; a queued waiter that turns out stale makes
// the try fail, and Select then looks again.
func (c *Chan[T]) canSend() bool { return c.closed || !c.recvq.empty() || c.n < len(c.buf) }
func (c *Chan[T]) canRecv() bool { return c.n > 0 || !c.sendq.empty() || c.closed }
