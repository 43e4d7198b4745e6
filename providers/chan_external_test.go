package providers_test

import (
	"context"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

func TestChanBufferedIsFIFO(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 3)
		assert.Equal(t, 3, c.Cap())
		for i := 1; i <= 3; i++ {
			require.True(t, c.TrySend(i))
		}
		assert.False(t, c.TrySend(4), "TrySend on a full Chan")
		assert.Equal(t, 3, c.Len())
		for i := 1; i <= 3; i++ {
			v, ok, err := c.Recv(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, i, v)
		}
		_, _, ready := c.TryRecv()
		assert.False(t, ready, "TryRecv on an empty Chan")
		assert.Equal(t, 0, c.Len())
	})
}

func TestChanBlockedSenderKeepsOrder(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 1)
		require.NoError(t, c.Send(ctx, 1))
		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			return c.Send(ctx, 2) // blocks: the buffer is full
		})
		pause(ctx, p)
		for want := 1; want <= 2; want++ {
			v, ok, err := c.Recv(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, want, v)
		}
		require.NoError(t, h.Join(ctx))
	})
}

func TestChanUnbufferedHandsOff(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		assert.Equal(t, 0, c.Cap())
		assert.False(t, c.TrySend(1), "TrySend with no receiver")
		_, _, ready := c.TryRecv()
		assert.False(t, ready, "TryRecv with no sender")

		var events []string
		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			for i := 1; i <= 3; i++ {
				if err := c.Send(ctx, i); err != nil {
					return err
				}
			}
			events = append(events, "sent") // after the last receive began
			return nil
		})
		pause(ctx, p)
		for want := 1; want <= 3; want++ {
			if want == 3 {
				events = append(events, "receiving")
			}
			v, ok, err := c.Recv(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, want, v)
			assert.Equal(t, 0, c.Len())
		}
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, []string{"receiving", "sent"}, events)
	})
}

func TestChanCloseDrainsThenEnds(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[string](p.Task, 2)
		require.NoError(t, c.Send(ctx, "a"))
		require.NoError(t, c.Send(ctx, "b"))
		c.Close()
		for _, want := range []string{"a", "b"} {
			v, ok, err := c.Recv(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, want, v)
		}
		v, ok, err := c.Recv(ctx)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, "", v)
		v, ok, ready := c.TryRecv()
		assert.True(t, ready, "TryRecv on a closed Chan is ready")
		assert.False(t, ok)
		assert.Equal(t, "", v)
	})
}

func TestChanCloseReleasesReceivers(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		wg := providers.NewWaitGroup(p.Task)
		got := make([]bool, 3)
		for i := range got {
			wg.Go(ctx, "receiver", func(ctx context.Context) error {
				_, ok, err := c.Recv(ctx)
				got[i] = ok
				return err
			})
		}
		pause(ctx, p)
		c.Close()
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, []bool{false, false, false}, got)
	})
}

func TestChanClosePanics(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 1)
		c.Close()
		assert.PanicsWithValue(t, "providers: send on closed Chan", func() { _ = c.Send(ctx, 1) })
		assert.PanicsWithValue(t, "providers: send on closed Chan", func() { c.TrySend(1) })
		assert.PanicsWithValue(t, "providers: close of closed Chan", c.Close)
	})
}

// In real mode a Close concurrent with a Send is a data race to the race
// detector, so this runs in simulation only.
func TestChanCloseMakesBlockedSenderPanic(t *testing.T) {
	sims(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		var r any
		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			r = recovered(func() { _ = c.Send(ctx, 1) })
			return nil
		})
		pause(ctx, p)
		c.Close()
		require.NoError(t, h.Join(ctx))
		assert.Equal(t, "providers: send on closed Chan", r)
	})
}

func TestChanSendGivesUpWithContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		assert.ErrorIs(t, c.Send(tctx, 1), context.DeadlineExceeded)
		assert.ErrorIs(t, c.Send(cancelled(ctx), 1), context.Canceled)
		_, _, ready := c.TryRecv()
		assert.False(t, ready, "a Send that gave up left its value behind")

		b := providers.NewChan[int](p.Task, 1)
		assert.NoError(t, b.Send(cancelled(ctx), 1), "a Send that can proceed does so whatever ctx")
	})
}

func TestChanRecvGivesUpWithContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		_, ok, err := c.Recv(tctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, ok)
		_, _, err = c.Recv(cancelled(ctx))
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, c.TrySend(1), "a Recv that gave up is still waiting")

		b := providers.NewChan[int](p.Task, 1)
		require.True(t, b.TrySend(7))
		v, ok, err := b.Recv(cancelled(ctx))
		assert.NoError(t, err, "a Recv that can proceed does so whatever ctx")
		assert.True(t, ok)
		assert.Equal(t, 7, v)
	})
}

func TestChanManyProducersAndConsumers(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		for _, capacity := range []int{0, 1, 4} {
			c := providers.NewChan[int](p.Task, capacity)
			producers := providers.NewWaitGroup(p.Task)
			consumers := providers.NewWaitGroup(p.Task)
			const n, each = 4, 25
			for i := range n {
				producers.Go(ctx, "producer", func(ctx context.Context) error {
					for j := range each {
						if err := c.Send(ctx, i*each+j); err != nil {
							return err
						}
					}
					return nil
				})
			}
			got := make([][]int, n)
			for i := range n {
				consumers.Go(ctx, "consumer", func(ctx context.Context) error {
					for {
						v, ok, err := c.Recv(ctx)
						if err != nil || !ok {
							return err
						}
						got[i] = append(got[i], v)
					}
				})
			}
			require.NoError(t, producers.Wait(ctx))
			c.Close()
			require.NoError(t, consumers.Wait(ctx))
			var all []int
			for _, g := range got {
				all = append(all, g...)
			}
			sort.Ints(all)
			require.Len(t, all, n*each, "capacity %d", capacity)
			for i, v := range all {
				require.Equal(t, i, v, "capacity %d", capacity)
			}
		}
	})
}

func TestChanInterfaceValues(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[error](p.Task, 2)
		require.NoError(t, c.Send(ctx, nil))
		require.NoError(t, c.Send(ctx, context.Canceled))
		v, ok, err := c.Recv(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Nil(t, v)
		v, _, _ = c.Recv(ctx)
		assert.Equal(t, context.Canceled, v)
	})
}

func TestNewChanMisuse(t *testing.T) {
	assert.PanicsWithValue(t, "providers: NewChan with a negative capacity; use 0 for an unbuffered Chan",
		func() { providers.NewChan[int](providers.Real().Task, -1) })
	assert.PanicsWithValue(t, "providers: NewChan with a nil Task; pass the Task of your Providers (p.Task)",
		func() { providers.NewChan[int](nil, 1) })
	var zero providers.Chan[int]
	assert.PanicsWithValue(t, "providers: Chan used without NewChan; make Chans with NewChan",
		func() { zero.TrySend(1) })
}

// Simulation only: how a Chan copes with a task killed while it waits.

func TestSimChanKilledReceiverLeavesQueue(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 0)
		h := p.Task.Go(ctx, "receiver", func(ctx context.Context) error {
			_, _, err := c.Recv(ctx)
			return err
		})
		pause(ctx, p)
		w.Kill(h)
		assert.False(t, c.TrySend(1), "a killed receiver took a value")
	})
}

func TestSimChanKilledSenderLeavesQueue(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
		c := providers.NewChan[int](p.Task, 1)
		require.True(t, c.TrySend(1))
		h := p.Task.Go(ctx, "sender", func(ctx context.Context) error {
			return c.Send(ctx, 2)
		})
		pause(ctx, p)
		w.Kill(h)
		v, _, _ := c.TryRecv()
		assert.Equal(t, 1, v)
		_, _, ready := c.TryRecv()
		assert.False(t, ready, "a killed sender's value arrived")
	})
}

// A task that blocks on a Chan over and over, sending or receiving,
// allocates nothing for its waits in steady state: the Chan reuses its
// waiter.
func TestChanBlockingAllocatesNothing(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	type big struct{ a, b, c, d [4]uint64 } // as a reply with an error
	var allocs float64
	res := sim.New(sim.Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		ping := providers.NewChan[big](p.Task, 0)
		pong := providers.NewChan[big](p.Task, 0)
		echo := p.Task.Go(ctx, "echo", func(ctx context.Context) error {
			for {
				v, ok, err := ping.Recv(ctx)
				if err != nil || !ok {
					return err
				}
				if err := pong.Send(ctx, v); err != nil {
					return err
				}
			}
		})
		round := func() {
			_ = ping.Send(ctx, big{})
			_, _, _ = pong.Recv(ctx)
		}
		round()
		allocs = testing.AllocsPerRun(100, round)
		ping.Close()
		return echo.Join(ctx)
	})
	require.NoError(t, res.Err)
	assert.Zero(t, allocs, "allocations per round trip over two Chans")
}
