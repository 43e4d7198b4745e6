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

func TestWaitReturnsWhenTheContextIsDone(t *testing.T) {
	p := providers.Real()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, providers.Wait(ctx, p.Task), context.DeadlineExceeded)

	res := sim.New(sim.Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		tctx, cancel := p.Time.WithTimeout(ctx, time.Hour)
		defer cancel()
		assert.ErrorIs(t, providers.Wait(tctx, p.Task), context.DeadlineExceeded)
		assert.Equal(t, sim.Epoch.Add(time.Hour), p.Time.Now(), "the wait took simulated time, not real time")

		cctx, cancel2 := context.WithCancel(ctx)
		p.Task.Go(ctx, "canceller", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Minute)
			cancel2()
			return nil
		})
		assert.ErrorIs(t, providers.Wait(cctx, p.Task), context.Canceled)
		return nil
	})
	require.NoError(t, res.Err)
}

// A nil Task would make Wait a bare <-ctx.Done(), which in a simulation
// blocks outside it until the watchdog gives the seed up; it panics with
// the fix, as NewChan does.
func TestWaitWithANilTaskPanics(t *testing.T) {
	assert.PanicsWithValue(t, "providers: Wait with a nil Task; pass the Task of your Providers (p.Task)", func() {
		_ = providers.Wait(context.Background(), nil)
	})
}

func TestUnwindingTellsTheSimulationsKillFromAPanic(t *testing.T) {
	assert.False(t, providers.Unwinding(nil))
	assert.False(t, providers.Unwinding("boom"), "a panic of the code")
	var seen any
	w := sim.New(sim.Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		g := w.NewGroup("victim")
		g.Go(ctx, "main", func(ctx context.Context) error {
			defer func() {
				r := recover()
				seen = r
				if providers.Unwinding(r) {
					panic(r) // let the kill go on
				}
			}()
			return providers.Wait(ctx, p.Task)
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Millisecond)) // the victim parks
		g.Kill()
		return nil
	})
	require.NoError(t, res.Err)
	assert.True(t, providers.Unwinding(seen), "a killed task recovers the simulation's unwinding, %#v", seen)
}
