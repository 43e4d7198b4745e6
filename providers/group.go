package providers

import (
	"context"
	"errors"
	"sync"
)

// Group is a collection of tasks working on parts of one job, in the shape
// of golang.org/x/sync/errgroup: the first task to return an error cancels
// the context the group's tasks share, and [Group.Wait] returns that
// error once every task has returned. Where a [WaitGroup] leaves each
// task's error in its [Handle], a Group gathers the one that matters.
type Group struct {
	wg     *WaitGroup
	parent context.Context // what ctx was made from
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu  sync.Mutex // in production, tasks finish on goroutines of their own
	err error
}

// NewGroup returns a Group whose tasks start with t, and the context they
// share: derived from ctx, it is cancelled when a task of the group first
// returns an error, or when Wait returns, whichever comes first.
func NewGroup(ctx context.Context, t Task) (*Group, context.Context) {
	gctx, cancel := withCancelCause(ctx, t)
	return &Group{wg: NewWaitGroup(t), parent: ctx, ctx: gctx, cancel: cancel}, gctx
}

// withCancelCause is context.WithCancelCause, with a context of the
// simulation's own under a simulation's Task: the simulation ends the
// waits of tasks under it at once, where it would look at package
// context's at every instant of simulated time.
func withCancelCause(ctx context.Context, t Task) (context.Context, context.CancelCauseFunc) {
	if c, ok := t.(interface {
		WithCancelCause(context.Context) (context.Context, context.CancelCauseFunc)
	}); ok {
		return c.WithCancelCause(ctx)
	}
	return context.WithCancelCause(ctx)
}

// Go starts fn as a task called name, with the group's context. The first
// error a task of the group returns cancels that context, with the error
// as its cause.
func (g *Group) Go(name string, fn func(ctx context.Context) error) {
	g.wg.Go(g.ctx, name, func(ctx context.Context) error {
		err := fn(ctx)
		if err != nil {
			g.mu.Lock()
			first := g.err == nil
			if first {
				g.err = err
			}
			g.mu.Unlock()
			if first {
				g.cancel(err)
			}
		}
		return err
	})
}

// Wait waits for every task of the group to return, then cancels the
// group's context and returns the first error a task returned, or nil. If
// ctx is done first, Wait gives up and returns ctx's error; the tasks go
// on. Given the group's own context, which its first error cancels (the
// shape of errgroup's `g, ctx := ...; return g.Wait()`), it waits under
// the context the group was made from, and returns that error; given a
// context made from the group's, which that error ends too, it returns
// the error when ctx ends with it, whether or not the tasks returned.
func (g *Group) Wait(ctx context.Context) error {
	if ctx == g.ctx {
		ctx = g.parent
	}
	if err := g.wg.Wait(ctx); err != nil {
		g.mu.Lock()
		first := g.err
		g.mu.Unlock()
		if first != nil && errors.Is(context.Cause(ctx), first) {
			return first
		}
		return err
	}
	g.cancel(context.Canceled)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}
