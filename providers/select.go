package providers

import (
	"context"
	"reflect"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// A Case is one case of a [Select], made by [OnRecv], [OnSend] or [Default].
type Case struct {
	op    caseOp // a channel operation; nil for a Default or a nil Chan's case
	dflt  bool
	never bool   // the case of a nil Chan: Select skips it
	f     func() // a Default's function
}

// OnRecv is the case of a [Select] that receives from ch, then calls f with
// what [Chan.Recv] would return. f may be nil. A nil ch makes a case that is
// never ready, like a nil channel in a select statement.
func OnRecv[T any](ch *Chan[T], f func(v T, ok bool)) Case {
	if ch == nil {
		return Case{never: true}
	}
	return Case{op: &recvCase[T]{c: ch, f: f}}
}

// OnSend is the case of a [Select] that sends v on ch, then calls f. f may
// be nil. A nil ch makes a case that is never ready. As with a select
// statement, Select panics if ch is closed when the case is chosen or while
// Select waits on it.
func OnSend[T any](ch *Chan[T], v T, f func()) Case {
	if ch == nil {
		return Case{never: true}
	}
	return Case{op: &sendCase[T]{c: ch, v: v, f: f}}
}

// Default is the case of a [Select] that calls f when no other case is
// ready. f may be nil. A Select with a Default never blocks.
func Default(f func()) Case {
	return Case{dflt: true, f: f}
}

// Select is Go's select statement over [Chan] values. It waits until one of
// the cases can proceed, proceeds with it, calls its function, and returns
// nil. If ctx is done first, it returns ctx's error and no case proceeds.
// When several cases are ready, it picks one at random; in a simulation the
// pick is drawn from the run's random stream. A ready case proceeds even if
// ctx is already done. A [Default] case runs when no other case is ready, so
// Select never returns ctx's error then.
//
// The Chans of one Select must be made with the same Task: all real, or all
// of one simulation. A Select with neither a Chan (the cases of nil Chans
// are none) nor a Default waits for ctx alone, as a select statement whose
// channels are all nil waits for ctx.Done(): in a simulation, through it,
// which it finds from ctx. Under a context that is never done it would
// wait forever, and it panics instead: that is a programmer error.
func Select(ctx context.Context, cases ...Case) error {
	var (
		dflt    *Case
		p       parker
		isReal  bool // the Chans are real ones
		anyChan bool
	)
	for i := range cases {
		c := &cases[i]
		if c.dflt {
			if dflt != nil {
				panic("providers: Select with more than one Default; keep one")
			}
			dflt = c
			continue
		}
		if c.never {
			continue
		}
		if c.op == nil {
			panic("providers: Select with a zero Case; make Cases with OnRecv, OnSend or Default")
		}
		cp := c.op.parker()
		switch {
		case !anyChan:
			anyChan, p, isReal = true, cp, cp == nil
		case isReal != (cp == nil):
			panic("providers: Select mixes a simulation's Chans with real ones; make every Chan of a Select with the same Task")
		case cp != p:
			panic("providers: Select mixes Chans of two simulations; a Chan belongs to the simulation whose Task made it")
		}
	}
	if p != nil {
		return selectSim(ctx, p, cases, dflt)
	}
	if !anyChan && dflt == nil {
		return selectNone(ctx, cases)
	}
	return selectReal(ctx, cases, dflt)
}

// selectNone is a Select with no Chan and no Default: it waits for ctx.
func selectNone(ctx context.Context, cases []Case) error {
	if ctx == nil {
		panic("providers: Select with no Chan case and no Default waits for its context alone, and got a nil one; pass the task's ctx")
	}
	// The simulation ctx carries gives its Task provider, a parker: a
	// lookup only this call makes, so no other lookup pays for it.
	if s, ok := simctx.From(ctx).(interface{ Providers() Providers }); ok {
		if p, ok := s.Providers().Task.(parker); ok {
			return selectSim(ctx, p, cases, nil)
		}
	}
	if ctx.Done() == nil {
		panic("providers: Select with no Chan case (a nil Chan's is none) and no Default, under a context that is never done, " +
			"would wait forever; add a case or a Default, or pass a context that ends (the task's ctx)")
	}
	return selectReal(ctx, cases, nil)
}

// A caseOp is the channel operation of a Case, with its type parameter
// hidden so that one Select can hold Chans of different types.
type caseOp interface {
	// parker returns the Chan's parker, nil for a real Chan.
	parker() parker

	// Simulation mode.
	ready() bool                    // the operation might proceed now
	try() bool                      // proceed if possible, then call f
	enqueue(tok WaitToken) parkedOp // park a waiter on the Chan

	// Production mode.
	selectCase() reflect.SelectCase
	deliver(v reflect.Value, ok bool) // call f after reflect.Select chose the case
}

// A parkedOp is a caseOp's waiter while its Select is parked.
type parkedOp interface {
	leave()      // leave the Chan's queue, if still in it
	fired() bool // the operation completed
	finish()     // call f; panic for a send ended by Close
}

func selectSim(ctx context.Context, p parker, cases []Case, dflt *Case) error {
	p.Enter("select")
	var buf [8]int
	for {
		ready := buf[:0]
		for i, c := range cases {
			if c.op != nil && c.op.ready() {
				ready = append(ready, i)
			}
		}
		if len(ready) == 0 {
			break
		}
		i := ready[0]
		if len(ready) > 1 {
			i = ready[p.Choose(len(ready))]
		}
		if cases[i].op.try() {
			return nil
		}
		// The chosen case's waiters were all stale and are gone now: look again.
	}
	if dflt != nil {
		if dflt.f != nil {
			dflt.f()
		}
		return nil
	}
	op, err := parkSelect(ctx, p, cases)
	if op == nil {
		return err
	}
	op.finish()
	return nil
}

// parkSelect parks the calling task on every case at once, with one token,
// and returns the case that fired, or nil and ctx's error. The waiters leave
// their queues however the task gets out, even when killed.
func parkSelect(ctx context.Context, p parker, cases []Case) (parkedOp, error) {
	tok := p.WaitToken()
	ops := make([]parkedOp, 0, len(cases))
	defer func() {
		for _, op := range ops {
			op.leave()
		}
	}()
	for _, c := range cases { // no Default among them, or Select would not park
		if c.op != nil { // not a nil Chan's
			ops = append(ops, c.op.enqueue(tok))
		}
	}
	err := p.Park(ctx, tok, "select")
	for _, op := range ops {
		if op.fired() {
			return op, nil
		}
	}
	return nil, parked(err)
}

func selectReal(ctx context.Context, cases []Case, dflt *Case) error {
	sc := make([]reflect.SelectCase, 0, len(cases)+1)
	ops := make([]caseOp, 0, len(cases))
	for _, c := range cases {
		if c.op != nil {
			sc = append(sc, c.op.selectCase())
			ops = append(ops, c.op)
		}
	}
	// First without blocking, so that a ready case proceeds even if ctx is
	// done, as in simulation mode; then, unless there is a Default, wait
	// for a case or ctx.
	sc = append(sc, reflect.SelectCase{Dir: reflect.SelectDefault})
	i, v, ok := reflectSelect(sc)
	if i == len(ops) {
		if dflt != nil {
			if dflt.f != nil {
				dflt.f()
			}
			return nil
		}
		sc[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
		i, v, ok = reflectSelect(sc)
		if i == len(ops) {
			return ctx.Err()
		}
	}
	ops[i].deliver(v, ok)
	return nil
}

// reflectSelect is reflect.Select with a send on a closed Chan panicking as
// in simulation mode.
func reflectSelect(sc []reflect.SelectCase) (int, reflect.Value, bool) {
	defer repanic("send on closed channel", sendClosed)
	return reflect.Select(sc)
}

type recvCase[T any] struct {
	c *Chan[T]
	f func(v T, ok bool)
}

func (r *recvCase[T]) parker() parker { return r.c.p }
func (r *recvCase[T]) ready() bool    { return r.c.canRecv() }

func (r *recvCase[T]) try() bool {
	v, ok, ready := r.c.tryRecv()
	if ready && r.f != nil {
		r.f(v, ok)
	}
	return ready
}

func (r *recvCase[T]) enqueue(tok WaitToken) parkedOp {
	w := &recvWaiter[T]{recvCase: r}
	w.w.tok = tok
	r.c.recvq.push(&w.w)
	return w
}

func (r *recvCase[T]) selectCase() reflect.SelectCase {
	r.c.mustReal()
	return reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(r.c.ch)}
}

func (r *recvCase[T]) deliver(v reflect.Value, ok bool) {
	if r.f == nil {
		return
	}
	var x T
	if ok {
		x, _ = v.Interface().(T) // comma-ok: a nil interface value gives T's zero value
	}
	r.f(x, ok)
}

type recvWaiter[T any] struct {
	*recvCase[T]
	w waiter[T]
}

func (r *recvWaiter[T]) leave()      { r.c.recvq.remove(&r.w) }
func (r *recvWaiter[T]) fired() bool { return r.w.done }

func (r *recvWaiter[T]) finish() {
	if r.f != nil {
		r.f(r.w.val, r.w.ok)
	}
}

type sendCase[T any] struct {
	c *Chan[T]
	v T
	f func()
}

func (s *sendCase[T]) parker() parker { return s.c.p }
func (s *sendCase[T]) ready() bool    { return s.c.canSend() }

func (s *sendCase[T]) try() bool {
	if !s.c.trySend(s.v) {
		return false
	}
	if s.f != nil {
		s.f()
	}
	return true
}

func (s *sendCase[T]) enqueue(tok WaitToken) parkedOp {
	w := &sendWaiter[T]{sendCase: s}
	w.w.tok, w.w.val = tok, s.v
	s.c.sendq.push(&w.w)
	return w
}

func (s *sendCase[T]) selectCase() reflect.SelectCase {
	s.c.mustReal()
	// Through a pointer, so that an interface T's nil value is a valid
	// reflect.Value.
	return reflect.SelectCase{Dir: reflect.SelectSend, Chan: reflect.ValueOf(s.c.ch), Send: reflect.ValueOf(&s.v).Elem()}
}

func (s *sendCase[T]) deliver(reflect.Value, bool) {
	if s.f != nil {
		s.f()
	}
}

type sendWaiter[T any] struct {
	*sendCase[T]
	w waiter[T]
}

func (s *sendWaiter[T]) leave()      { s.c.sendq.remove(&s.w) }
func (s *sendWaiter[T]) fired() bool { return s.w.done }

func (s *sendWaiter[T]) finish() {
	if s.w.closed {
		panic(sendClosed)
	}
	if s.f != nil {
		s.f()
	}
}
