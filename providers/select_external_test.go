package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

func TestSelectTakesTheReadyCase(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 1)
		b := providers.NewChan[string](p.Task, 1)
		full := providers.NewChan[int](p.Task, 0)
		require.True(t, b.TrySend("hi"))
		var got []string
		err := providers.Select(ctx,
			providers.OnRecv(a, func(int, bool) { got = append(got, "a") }),
			providers.OnRecv(b, func(v string, ok bool) {
				assert.True(t, ok)
				got = append(got, "b:"+v)
			}),
			providers.OnSend(full, 1, func() { got = append(got, "full") }),
		)
		require.NoError(t, err)
		assert.Equal(t, []string{"b:hi"}, got)

		err = providers.Select(ctx,
			providers.OnRecv(a, func(int, bool) { got = append(got, "a") }),
			providers.OnSend(a, 5, func() { got = append(got, "sent") }),
		)
		require.NoError(t, err)
		assert.Equal(t, []string{"b:hi", "sent"}, got)
		assert.Equal(t, 1, a.Len())
	})
}

func TestSelectDefault(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 1)
		var got []string
		recv := providers.OnRecv(c, func(v int, ok bool) { got = append(got, "recv") })
		dflt := providers.Default(func() { got = append(got, "default") })

		require.NoError(t, providers.Select(cancelled(ctx), recv, dflt))
		require.True(t, c.TrySend(1))
		require.NoError(t, providers.Select(cancelled(ctx), recv, dflt))
		require.NoError(t, providers.Select(ctx, dflt))
		require.NoError(t, providers.Select(ctx, providers.Default(nil)))
		assert.Equal(t, []string{"default", "recv", "default"}, got)
	})
}

func TestSelectNilChanIsNeverReady(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		var none *providers.Chan[int]
		c := providers.NewChan[int](p.Task, 1)
		require.True(t, c.TrySend(3))
		got := 0
		require.NoError(t, providers.Select(ctx,
			providers.OnRecv(none, func(int, bool) { t.Error("a nil Chan was received from") }),
			providers.OnSend(none, 1, func() { t.Error("a nil Chan was sent to") }),
			providers.OnRecv(c, func(v int, ok bool) { got = v }),
		))
		assert.Equal(t, 3, got)
		ran := false
		require.NoError(t, providers.Select(ctx, providers.OnRecv(none, nil), providers.Default(func() { ran = true })))
		assert.True(t, ran)

		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			pause(ctx, p)
			return c.Send(ctx, 4)
		})
		require.NoError(t, providers.Select(ctx,
			providers.OnRecv(none, nil),
			providers.OnSend(none, 1, nil),
			providers.OnRecv(c, func(v int, ok bool) { got = v }),
		))
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, 4, got)
	})
}

func TestSelectWaitsForACase(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			pause(ctx, p)
			return b.Send(ctx, 42)
		})
		var got []int
		require.NoError(t, providers.Select(ctx,
			providers.OnRecv(a, func(v int, ok bool) { got = append(got, -1) }),
			providers.OnRecv(b, func(v int, ok bool) {
				assert.True(t, ok)
				got = append(got, v)
			}),
		))
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, []int{42}, got)
		assert.False(t, a.TrySend(1), "the Select still waits on a case it did not take")
	})
}

func TestSelectSendWaitsForAReceiver(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		var got int
		h := p.Task.Go(ctx, "receiver", func(ctx context.Context) error {
			pause(ctx, p)
			v, _, err := a.Recv(ctx)
			got = v
			return err
		})
		sent := ""
		require.NoError(t, providers.Select(ctx,
			providers.OnSend(a, 7, func() { sent = "a" }),
			providers.OnSend(b, 8, func() { sent = "b" }),
		))
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, "a", sent)
		assert.Equal(t, 7, got)
		_, _, ready := b.TryRecv()
		assert.False(t, ready, "the Select still offers a value on a case it did not take")
	})
}

// Once one case of a blocked Select fires, its other cases are dead: a
// second sender must not be taken as well.
func TestSelectFiresOnce(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		fired := 0
		h := p.Task.Go(ctx, "selector", func(ctx context.Context) error {
			return providers.Select(ctx,
				providers.OnRecv(a, func(int, bool) { fired++ }),
				providers.OnRecv(b, func(int, bool) { fired++ }),
			)
		})
		for !a.TrySend(1) { // until the Select waits
			pause(ctx, p)
		}
		// b still queues the fired Select's waiter, which is stale: a
		// Select that picks b must find that out and pick again.
		c := providers.NewChan[int](p.Task, 1)
		require.True(t, c.TrySend(9))
		took := ""
		require.NoError(t, providers.Select(ctx,
			providers.OnSend(b, 2, func() { t.Error("a Select took two values") }),
			providers.OnRecv(c, func(int, bool) { took = "c" }),
			providers.Default(func() { took = "default" }),
		))
		assert.Equal(t, "c", took)
		assert.False(t, b.TrySend(2), "a Select took two values")
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, 1, fired)
	})
}

func TestSelectGivesUpWithContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		cases := []providers.Case{
			providers.OnRecv(a, func(int, bool) { t.Error("received after giving up") }),
			providers.OnSend(b, 1, func() { t.Error("sent after giving up") }),
		}
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		assert.ErrorIs(t, providers.Select(tctx, cases...), context.DeadlineExceeded)
		assert.ErrorIs(t, providers.Select(cancelled(ctx), cases...), context.Canceled)
		assert.False(t, a.TrySend(1), "a Select that gave up still waits to receive")
		_, _, ready := b.TryRecv()
		assert.False(t, ready, "a Select that gave up still offers a value")

		c := providers.NewChan[int](p.Task, 1)
		require.True(t, c.TrySend(1))
		assert.NoError(t, providers.Select(cancelled(ctx), providers.OnRecv(c, nil)),
			"a Select with a ready case proceeds whatever ctx")
	})
}

func TestSelectOnClosedChan(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		c.Close()
		var ok = true
		require.NoError(t, providers.Select(ctx, providers.OnRecv(c, func(v int, k bool) { ok = k })))
		assert.False(t, ok)
		assert.PanicsWithValue(t, "providers: send on closed Chan", func() {
			_ = providers.Select(ctx, providers.OnSend(c, 1, nil))
		})
	})
}

func TestSelectCloseWhileWaiting(t *testing.T) {
	sims(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		var r any
		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			r = recovered(func() { _ = providers.Select(ctx, providers.OnSend(a, 1, nil), providers.OnRecv(b, nil)) })
			return nil
		})
		pause(ctx, p)
		a.Close() // in real mode, a data race with the blocked send
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, "providers: send on closed Chan", r)
	})
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		ok := true
		h := p.Task.Go(ctx, "receiver", func(ctx context.Context) error {
			return providers.Select(ctx, providers.OnRecv(a, func(_ int, k bool) { ok = k }), providers.OnRecv(b, nil))
		})
		pause(ctx, p)
		a.Close()
		require.NoError(t, h.Join(ctx))
		assert.False(t, ok)
	})
}

// A Select with no Chan (the cases of nil Chans are none) and no Default
// waits for its context alone, as a select statement whose channels are
// all nil waits for ctx.Done(); in a simulation it does so through the
// simulation, which it finds from the context.
func TestSelectWithNoChanWaitsForContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		assert.ErrorIs(t, providers.Select(tctx), context.DeadlineExceeded)
		var none *providers.Chan[int]
		assert.ErrorIs(t, providers.Select(cancelled(ctx), providers.OnRecv(none, nil)), context.Canceled)

		// Woken by another task's cancel, of package context's context or
		// of one the Time provider made (the simulation's own, in one).
		for _, withCancel := range []func(context.Context) (context.Context, context.CancelFunc){
			context.WithCancel,
			func(ctx context.Context) (context.Context, context.CancelFunc) {
				return p.Time.WithTimeout(ctx, time.Hour)
			},
		} {
			cctx, cancel := withCancel(ctx)
			h := p.Task.Go(ctx, "canceller", func(ctx context.Context) error {
				pause(ctx, p)
				cancel()
				return nil
			})
			assert.ErrorIs(t, providers.Select(cctx, providers.OnRecv(none, nil), providers.OnSend(none, 1, nil)), context.Canceled)
			require.NoError(t, h.Join(ctx))
		}
	})
}

func TestSelectBetweenSelects(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		ping := providers.NewChan[string](p.Task, 0)
		pong := providers.NewChan[string](p.Task, 0)
		var got []string
		h := p.Task.Go(ctx, "other", func(ctx context.Context) error {
			for range 2 {
				err := providers.Select(ctx,
					providers.OnSend(ping, "ping", nil),
					providers.OnRecv(pong, func(v string, _ bool) { got = append(got, v) }),
				)
				if err != nil {
					return err
				}
			}
			return nil
		})
		var mine []string
		for range 2 {
			require.NoError(t, providers.Select(ctx,
				providers.OnRecv(ping, func(v string, _ bool) { mine = append(mine, v) }),
				providers.OnSend(pong, "pong", nil),
			))
		}
		require.NoError(t, h.Join(ctx))
		assert.Len(t, append(got, mine...), 2, "each Select fired exactly once")
	})
}

func TestSelectMisuse(t *testing.T) {
	ctx := context.Background()
	realCh := providers.NewChan[int](providers.Real().Task, 1)
	w1, w2 := sim.New(sim.Config{Seed: 1}), sim.New(sim.Config{Seed: 2})
	sim1 := providers.NewChan[int](w1.Parker(), 1)
	sim2 := providers.NewChan[int](w2.Parker(), 1)
	assert.PanicsWithValue(t, "providers: Select mixes a simulation's Chans with real ones; make every Chan of a Select with the same Task",
		func() { _ = providers.Select(ctx, providers.OnRecv(realCh, nil), providers.OnRecv(sim1, nil)) })
	assert.PanicsWithValue(t, "providers: Select mixes a simulation's Chans with real ones; make every Chan of a Select with the same Task",
		func() { _ = providers.Select(ctx, providers.OnRecv(sim1, nil), providers.OnSend(realCh, 1, nil)) })
	assert.PanicsWithValue(t, "providers: Select mixes Chans of two simulations; a Chan belongs to the simulation whose Task made it",
		func() { _ = providers.Select(ctx, providers.OnRecv(sim1, nil), providers.OnRecv(sim2, nil)) })
	assert.PanicsWithValue(t, "providers: Select with more than one Default; keep one",
		func() { _ = providers.Select(ctx, providers.Default(nil), providers.Default(nil)) })
	assert.PanicsWithValue(t, "providers: Select with a zero Case; make Cases with OnRecv, OnSend or Default",
		func() { _ = providers.Select(ctx, providers.Case{}) })
}

// A Select with no Chan case and no Default under a context that is never
// done could only wait forever: it panics at the call, with the fix, in
// either mode, rather than hang (in a simulation, until the watchdog
// gives up on the run).
func TestSelectThatCanNeverReturnPanics(t *testing.T) {
	const forever = "providers: Select with no Chan case (a nil Chan's is none) and no Default, under a context that is never done, " +
		"would wait forever; add a case or a Default, or pass a context that ends (the task's ctx)"
	var none *providers.Chan[int]
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		assert.PanicsWithValue(t, forever, func() { _ = providers.Select(context.Background()) })
		assert.PanicsWithValue(t, forever, func() { _ = providers.Select(context.TODO(), providers.OnRecv(none, nil)) })
		assert.PanicsWithValue(t, "providers: Select with no Chan case and no Default waits for its context alone, and got a nil one; pass the task's ctx",
			func() { _ = providers.Select(nil, providers.OnSend(none, 1, nil)) }) //nolint:staticcheck // the misuse under test
	})
}

// In a simulation, a Select with no Chan under a simulation's context that
// nothing ends waits in the simulation: the run reports a deadlock that
// names the task and its select, not a task that escaped it.
func TestSimSelectWithNoChanIsADeadlockNotAnEscape(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		return providers.Select(context.WithoutCancel(ctx))
	}, 10*time.Second)
	var f *sim.Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, sim.Deadlock, f.Kind, "%v", f)
	assert.Contains(t, f.Msg, `task "driver" waits on select`)
}

// Simulation only: the choice among ready cases comes from the seed.

// pick runs a Select over three ready cases under seed and returns which one
// it took.
func pick(t *testing.T, seed uint64) int {
	chosen := -1
	simulate(t, seed, func(t *testing.T, ctx context.Context, p providers.Providers) {
		var cases []providers.Case
		for i := range 3 {
			c := providers.NewChan[int](p.Task, 1)
			require.True(t, c.TrySend(i))
			cases = append(cases, providers.OnRecv(c, func(v int, _ bool) { chosen = v }))
		}
		require.NoError(t, providers.Select(ctx, cases...))
	})
	return chosen
}

func TestSimSelectPickIsDrawnFromTheSeed(t *testing.T) {
	seen := map[int]bool{}
	for seed := uint64(1); seed <= 30; seed++ {
		c := pick(t, seed)
		require.Equal(t, c, pick(t, seed), "seed %d picked differently on a second run", seed)
		seen[c] = true
	}
	assert.Len(t, seen, 3, "30 seeds did not pick every ready case")
}

func TestSimSelectKilledLeavesQueues(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
		a := providers.NewChan[int](p.Task, 0)
		b := providers.NewChan[int](p.Task, 0)
		h := p.Task.Go(ctx, "selector", func(ctx context.Context) error {
			return providers.Select(ctx, providers.OnRecv(a, nil), providers.OnSend(b, 1, nil))
		})
		pause(ctx, p)
		w.Kill(h)
		assert.False(t, a.TrySend(1), "a killed Select received")
		_, _, ready := b.TryRecv()
		assert.False(t, ready, "a killed Select sent")
	})
}
