package simtest

import (
	"context"
	"slices"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// ChaosContext returns a context that ends when the chaos phase of the
// [Cluster.Run] under way ends, or when ctx ends: what a workload's Run
// loops on, or waits for, to run for the phase, since the Run's own ctx
// does not end with it. Keep passing ctx to the operations, so that the
// last one completes rather than failing as the phase ends:
//
//	func (w *client) Run(ctx context.Context, p providers.Providers) error {
//		phase := simtest.ChaosContext(ctx)
//		for phase.Err() == nil {
//			w.op(ctx)
//			_ = p.Time.Sleep(phase, w.think) // cut short as the phase ends
//		}
//		return nil
//	}
//
// The chaos phase ends at Phases.Chaos, or sooner once every workload's
// Run has returned, and every injector that holds it ([Injector.Hold]).
// A Run that waits for its end therefore holds it open to its whole
// length, and sees it end at Phases.Chaos. What else waits for it (a task
// started in Setup, with Setup's ctx) sees it end as soon as the last Run
// has returned. It ends as the phase does, before the faults heal (the
// quiesce of [Cluster.Run]), with [context.Canceled]; a Run that returns
// soon after finishes in quiet, within Phases.Finish, as any does. A
// context made from a Run's ctx ends when that Run returns, as the ctx
// does.
//
// Called in a workload's Setup, before the phase begins, the context ends
// with the phase to come. Called once the phase has ended (in Check, or
// by a task that outlived it), it returns a context already done. Outside
// a Cluster.Run (in the test's body around it) and outside a simulation
// (a workload run against a real system), there is no chaos phase to end:
// it returns ctx itself, and a loop on it runs until ctx ends.
//
// The context carries ctx's values and needs no cancel: Cluster.Run ends
// it. A loop that calls it at each turn, with the same ctx, gets the same
// context each time.
func ChaosContext(ctx context.Context) context.Context {
	w, ok := simctx.From(ctx).(*sim.World)
	if !ok {
		return ctx
	}
	w.Enter("simtest.ChaosContext")
	s, _ := w.TestSide().(*S)
	if s == nil || s.cluster == nil || s.cluster.run == nil {
		return ctx
	}
	return s.cluster.run.context(s.w, ctx)
}

// chaosRun is what ChaosContext needs of the Cluster.Run under way.
type chaosRun struct {
	over bool // its chaos phase has ended
	// ends are the contexts made for the phase that may still be open,
	// with their cancel functions, in the order they were made; last is
	// the latest one and the ctx it was made from.
	ends []chaosEnd
	last chaosEnd
}

type chaosEnd struct {
	parent, ctx context.Context
	cancel      context.CancelFunc
}

// context returns ChaosContext(ctx) for the run r of world w.
func (r *chaosRun) context(w *sim.World, ctx context.Context) context.Context {
	if r.last.ctx != nil && sim.SameContext(r.last.parent, ctx) {
		return r.last.ctx // a loop that asks at each turn makes one
	}
	c, cancel := w.WithCancel(ctx)
	if r.over {
		cancel()
		return c
	}
	if len(r.ends) == cap(r.ends) {
		// Those whose ctx has ended need no end of the phase's: a context
		// made for each operation does not pile up.
		r.ends = slices.DeleteFunc(r.ends, func(e chaosEnd) bool { return e.ctx.Err() != nil })
	}
	r.last = chaosEnd{parent: ctx, ctx: c, cancel: cancel}
	r.ends = append(r.ends, r.last)
	return c
}

// end ends the phase's contexts, in the order they were made.
func (r *chaosRun) end() {
	r.over = true
	for _, e := range r.ends {
		e.cancel()
	}
	r.ends = nil
}
