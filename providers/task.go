package providers

import (
	"context"
	"errors"
	"runtime"
)

// Task starts and coordinates concurrent activities. In a simulation a task
// is a coroutine that runs only when the scheduler picks it, one at a time;
// in production it is a goroutine.
//
// Code under test starts every concurrent activity through Task and blocks
// only through the providers (Time, [Chan], [Mutex], [Cond], [WaitGroup],
// [Select], the network and the disk), never on raw channels, sync primitives or
// time.Sleep: the simulation cannot see those and reports them as a task
// blocked outside the simulation.
type Task interface {
	// Go starts fn as a new task called name. The task's context is derived
	// from ctx and is cancelled by [Handle.Cancel]; ctx's values (the
	// simulation among them) pass on to it. The error fn returns reaches
	// only [Handle.Join], as a goroutine's reaches only the code that
	// waits for it: returning one fails nothing and logs nothing (in a
	// simulation, the timeline's line of the task's end names it).
	Go(ctx context.Context, name string, fn func(ctx context.Context) error) Handle
	// Yield lets other ready tasks run before the caller goes on.
	Yield(ctx context.Context)
}

// Handle is a started task.
type Handle interface {
	// Name is the name the task was started with.
	Name() string
	// Cancel cancels the task's context. The task decides when to return.
	Cancel()
	// Join waits for the task to return and gives its error, or gives ctx's
	// error if ctx is done first. Join of a task that has returned gives its
	// error even if ctx is already done. In a simulation, a task that is
	// killed (its process crashed, or outlived a graceful stop's grace
	// period) never returns: once it has unwound, Join gives an error that
	// wraps [ErrKilled], never nil, for its function did not finish.
	Join(ctx context.Context) error
}

// ErrKilled, wrapped, is what [Handle.Join] gives for a task that a
// simulation killed before its function returned: its process crashed or
// was wiped, it outlived a graceful stop's grace period, or the test
// killed it. The function did not finish, so its work may be half done;
// test for it with errors.Is. Production never kills a task (a crash
// ends the whole program, the joiner with it), so outside a simulation
// Join never gives it. simtest's Cluster.Join says the same of a whole
// process with simtest.ErrKilled.
var ErrKilled = errors.New("the task was killed before its function returned")

// Unwinding reports whether r, a value recovered from a panic, is a
// simulation unwinding the task (a kill, a crash, a FailNow) rather than
// a panic of the code. Code that recovers panics, such as a server that
// turns a handler's panic into an error, must panic again with such a
// value: the task has to end where the simulation ended it. Outside a
// simulation it is always false.
func Unwinding(r any) bool {
	_, ok := r.(interface{ SimulationUnwind() })
	return ok
}

type realTask struct{}

func (realTask) Go(ctx context.Context, name string, fn func(ctx context.Context) error) Handle {
	ctx, cancel := context.WithCancel(ctx)
	h := &realHandle{name: name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer cancel()
		h.err = fn(ctx)
	}()
	return h
}

func (realTask) Yield(context.Context) { runtime.Gosched() }

type realHandle struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (h *realHandle) Name() string { return h.name }
func (h *realHandle) Cancel()      { h.cancel() }

func (h *realHandle) Join(ctx context.Context) error {
	// First without blocking: a select with both ready picks at random,
	// and a finished task's error must win over a done ctx.
	select {
	case <-h.done:
		return h.err
	default:
	}
	select {
	case <-h.done:
		return h.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
