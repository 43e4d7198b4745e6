package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/providers"
)

// modelPoll is the poll as it was first written, kept as the model of the
// world's: it asks every waiter's context, through waitChan and waitEnded,
// in list order, a woken waiter's place taken by the last. It works on
// copies of the lists and returns the ids of the tasks it would wake, in
// the order it would wake them.
func modelPoll(w *World) []uint32 {
	var woke []uint32
	run := func(list []int32) {
		for i := 0; i < len(list); {
			t := w.slotTask[list[i]]
			c := t.waitCtx
			if t.waitOwn {
				c = t.ctx
			}
			if w.waitEnded(c, w.waitChan(c)) {
				woke = append(woke, t.id)
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				continue
			}
			i++
		}
	}
	// It polls the owned waiters every time: a waiter's owned context
	// that is done woke it at the first poll after the cancel that ended
	// it, whether or not the world polls the owned waiters now.
	run(foreignSlots(w))
	run(slices.Clone(w.ownedWaiters))
	return woke
}

// The kinds of context a waiter of TestPollsWakeAsTheModel waits on.
const (
	waitOwnOwned     = iota // its own, under the world's root context
	waitOwnSimParent        // its own, under a World.WithCancel
	waitOwnPkgParent        // its own, under a context.WithCancel (foreign)
	waitSimCancel           // a World.WithCancel of the root's
	waitPkgCancel           // a context.WithCancel under a package context's
	waitDeadline            // a Time.WithTimeout of the root's
	waitSimUnderPkg         // a World.WithCancel under a package context's
	waitValue               // a context.WithValue of a World.WithCancel
	waitKinds
)

// Waiters whose contexts end in every way the world knows (their own
// cancel, a parent's, package context's cancel of a foreign context or of
// the context above a simContext, a deadline, a context that adds values)
// are woken by a poll exactly as the model wakes them: the same tasks, in
// the same order, at the same poll.
func TestPollsWakeAsTheModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		kinds := rapid.SliceOfN(rapid.IntRange(0, waitKinds-1), 1, 24).Draw(rt, "kinds")
		// Each round cancels some of the cancel functions, by index, before
		// the world's poll is compared with the model's.
		rounds := rapid.SliceOfN(rapid.SliceOfN(rapid.IntRange(0, 3*len(kinds)), 0, 4), 1, 6).Draw(rt, "rounds")
		deadlines := rapid.SliceOfN(rapid.IntRange(1, len(rounds)+1), len(kinds), len(kinds)).Draw(rt, "deadlines")
		w := New(Config{Seed: rapid.Uint64().Draw(rt, "seed")})
		w.checkPoll = true
		res := w.Run(func(root context.Context, p providers.Providers) error {
			var cancels []func()
			simParents := make([]context.Context, 2)
			pkgParents := make([]context.Context, 2)
			for i := range 2 {
				var cancel func()
				simParents[i], cancel = w.WithCancel(root)
				cancels = append(cancels, cancel)
				pkgParents[i], cancel = context.WithCancel(root)
				cancels = append(cancels, cancel)
			}
			wait := func(ctx context.Context) error {
				err := p.Time.Sleep(ctx, time.Hour)
				if err == nil || err != ctx.Err() {
					return fmt.Errorf("the sleep returned %v, its context's error is %v", err, ctx.Err())
				}
				return nil
			}
			var hs []providers.Handle
			for i, k := range kinds {
				var ctx context.Context
				var cancel func()
				switch k {
				case waitOwnOwned:
					h := p.Task.Go(root, "own", wait)
					hs, cancel = append(hs, h), h.Cancel
				case waitOwnSimParent:
					hs = append(hs, p.Task.Go(simParents[i%2], "own under sim", wait))
				case waitOwnPkgParent:
					h := p.Task.Go(pkgParents[i%2], "own under package", wait)
					hs, cancel = append(hs, h), h.Cancel
				case waitSimCancel:
					ctx, cancel = w.WithCancel(root)
				case waitPkgCancel:
					ctx, cancel = context.WithCancel(pkgParents[i%2])
				case waitDeadline:
					ctx, cancel = p.Time.WithTimeout(root, time.Duration(deadlines[i])*time.Second)
				case waitSimUnderPkg:
					ctx, cancel = w.WithCancel(pkgParents[i%2])
				case waitValue:
					var c context.Context
					c, cancel = w.WithCancel(root)
					ctx = context.WithValue(c, waitValue, i)
				}
				if ctx != nil {
					hs = append(hs, p.Task.Go(root, "other", func(context.Context) error { return wait(ctx) }))
				}
				if cancel != nil {
					cancels = append(cancels, cancel)
				}
			}
			all := make([]int, len(cancels))
			for i := range all {
				all[i] = i
			}
			for _, r := range append(rounds, all) { // the last round ends every context
				// Time moves on a second: deadlines pass as it does, and the
				// root's sleep ends after them, at the same instant.
				if err := p.Time.Sleep(root, time.Second); err != nil {
					return err
				}
				for _, i := range r {
					if i < len(cancels) {
						cancels[i]()
					}
				}
				if len(w.ready) != 0 {
					return fmt.Errorf("%d tasks ready before the poll", len(w.ready))
				}
				want := modelPoll(w)
				woke := w.pollContexts()
				if w.pollDiff != "" {
					return errors.New(w.pollDiff)
				}
				var got []uint32
				for _, e := range w.ready {
					got = append(got, e.id)
				}
				if !slices.Equal(got, want) || woke != (len(want) > 0) {
					return fmt.Errorf("the poll woke tasks %v (reporting %v), the model %v", got, woke, want)
				}
				if err := w.checkLists(); err != nil {
					return err
				}
			}
			for _, h := range hs {
				if err := h.Join(root); err != nil {
					return err
				}
			}
			return nil
		})
		if res.Err != nil {
			rt.Fatal(res.Err)
		}
	})
}

// A waiter's entry in the foreign waiters holds what its context's end is
// read from, for every kind of context that can be foreign.
func TestForeignWaiterEntries(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.Run(func(root context.Context, p providers.Providers) error {
		pkg, cancel := context.WithCancel(root)
		defer cancel()
		sim, simCancel := w.WithCancel(pkg)
		defer simCancel()
		wait := func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) }
		own := p.Task.Go(pkg, "own", wait)
		p.Task.Go(root, "package", func(context.Context) error { return wait(pkg) })
		p.Task.Go(root, "sim", func(context.Context) error { return wait(sim) })
		require.NoError(t, p.Time.Sleep(root, time.Second))
		require.Len(t, w.foreignWaiters, 3)
		require.NoError(t, w.checkLists())
		for _, e := range w.foreignWaiters {
			switch tk := w.slotTask[e.slot]; tk.name {
			case "own":
				assert.Same(t, &tk.ownCtx, e.c)
				assert.Equal(t, own.(*task).ctx, context.Context(e.c))
				assert.Equal(t, pkg, e.ext)
			case "package":
				assert.Nil(t, e.c)
				assert.Equal(t, pkg.Done(), e.done)
			case "sim":
				assert.Same(t, sim, e.c)
				assert.Equal(t, pkg, e.ext)
			}
		}
		cancel()
		return nil
	})
	require.NoError(t, res.Err)
}

// A poll wakes the marked waiters in the order a scan of every waiter
// wakes them, also when marks went stale before it (a marked task killed,
// its slot taken by a new task that waits on its own context, or woken by
// its token) and when many tasks share a context, directly or through
// context.WithValue, and the contexts end by a parent's end.
func TestMarkedPollsWakeAsAScan(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 60).Draw(rt, "tasks")
		rounds := rapid.IntRange(1, 6).Draw(rt, "rounds")
		// What each start waits on, what each round does to each waiter,
		// and which parent each round ends, drawn before the run.
		kinds := rapid.SliceOfN(rapid.IntRange(0, 2), n*(rounds+1), n*(rounds+1)).Draw(rt, "kinds")
		ops := rapid.SliceOfN(rapid.IntRange(0, 9), n*rounds, n*rounds).Draw(rt, "ops")
		ends := rapid.SliceOfN(rapid.IntRange(0, 18), rounds, rounds).Draw(rt, "ends")
		w := New(Config{Seed: rapid.Uint64().Draw(rt, "seed")})
		w.checkPoll = true
		res := w.Run(func(root context.Context, p providers.Providers) error {
			type waiter struct {
				h      providers.Handle
				cancel func()
			}
			var parents []func()
			var ctxs []context.Context
			for range 3 {
				c, cancel := w.WithCancel(root)
				parents = append(parents, cancel)
				ctxs = append(ctxs, c)
				d, cancel := w.WithCancel(c)
				parents = append(parents, cancel)
				ctxs = append(ctxs, d, context.WithValue(d, waitValue, 1))
			}
			wait := func(ctx context.Context) error { _ = p.Time.Sleep(ctx, time.Hour); return nil }
			starts := 0
			start := func(i int) waiter {
				k := kinds[starts]
				starts++
				switch k {
				case 0: // its own, under a parent
					return waiter{h: p.Task.Go(ctxs[i%len(ctxs)], "own", wait)}
				case 1: // a shared one
					c := ctxs[i%len(ctxs)]
					return waiter{h: p.Task.Go(root, "shared", func(context.Context) error { return wait(c) })}
				default: // one of its own making
					c, cancel := w.WithCancel(ctxs[i%len(ctxs)])
					return waiter{h: p.Task.Go(root, "made", func(context.Context) error { return wait(c) }), cancel: cancel}
				}
			}
			ws := make([]waiter, n)
			for i := range ws {
				ws[i] = start(i)
			}
			for r := range rounds {
				if err := p.Time.Sleep(root, time.Millisecond); err != nil {
					return err
				}
				for i := range ws {
					switch ops[r*n+i] {
					case 0:
						ws[i].h.Cancel()
					case 1:
						if ws[i].cancel != nil {
							ws[i].cancel()
						}
					case 2: // marked, then killed: its slot goes to a new task
						ws[i].h.Cancel()
						w.Kill(ws[i].h)
						ws[i] = start(i)
					case 3: // marked, then woken by its token
						ws[i].h.Cancel()
						if tk := ws[i].h.(*task); tk.parked {
							w.wakeToken(tk.waitToken())
						}
					}
				}
				if i := ends[r]; i < len(parents) {
					parents[i]()
				}
				w.pollContexts()
				if w.pollDiff != "" {
					return errors.New(w.pollDiff)
				}
				if err := w.checkLists(); err != nil {
					return err
				}
			}
			for _, c := range parents {
				c()
			}
			return nil
		})
		if res.Err != nil {
			rt.Fatal(res.Err)
		}
	})
}
