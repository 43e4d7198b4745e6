package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A Timer fires when armed, once; arming it again replaces its pending
// call; Stop cancels it and says whether one was pending.
func TestTimerArmReplacesAndStops(t *testing.T) {
	var fired []string
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		var tm Timer
		assert.False(t, tm.Stop(), "the zero Timer is stopped")
		w.Arm(&tm, time.Second, func() { fired = append(fired, "first at "+w.Now().String()) })
		w.Arm(&tm, 2*time.Second, func() { fired = append(fired, "second at "+w.Now().String()) })
		require.NoError(t, p.Time.Sleep(ctx, 3*time.Second))
		assert.False(t, tm.Stop(), "fired: nothing pending")
		w.Arm(&tm, time.Second, func() { fired = append(fired, "third") })
		assert.True(t, tm.Stop())
		require.NoError(t, p.Time.Sleep(ctx, 2*time.Second))
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"second at 2s"}, fired)
}

// A Timer armed and stopped is what After and its cancel are to the
// trace, with nothing allocated per arming.
func TestTimerIsAfterWithoutAllocating(t *testing.T) {
	skipOn32Bit(t)
	run := func(arm func(w *World, fn func()), stop func()) (Result, float64) {
		var allocs float64
		w := New(Config{Seed: 7})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			n := 0
			tick := func() { n++ }
			allocs = testing.AllocsPerRun(100, func() {
				arm(w, tick)
				stop()
				arm(w, tick)
				_ = p.Time.Sleep(ctx, time.Millisecond)
			})
			return nil
		})
		return res, allocs
	}
	var tm Timer
	viaTimer, allocs := run(func(w *World, fn func()) { w.Arm(&tm, 500*time.Microsecond, fn) }, func() { tm.Stop() })
	var cancel func() bool
	viaAfter, _ := run(func(w *World, fn func()) { cancel = w.After(500*time.Microsecond, fn) }, func() { cancel() })
	require.NoError(t, viaTimer.Err)
	assert.Equal(t, viaAfter.Trace, viaTimer.Trace)
	assert.Equal(t, viaAfter.Events, viaTimer.Events)
	assert.Zero(t, allocs)
}

// A quiet Timer armed and stopped leaves the run's trace as it was
// without it; one that fires is in the trace, at its time.
func TestArmQuietLeavesNoTraceUnlessItFires(t *testing.T) {
	run := func(arm func(w *World, tm *Timer, fired *[]time.Duration)) (Result, []time.Duration) {
		var fired []time.Duration
		w := New(Config{Seed: 11})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			var tm Timer
			for i := range 5 {
				h := p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
					return p.Time.Sleep(ctx, time.Duration(i+1)*time.Millisecond)
				})
				if i == 2 {
					arm(w, &tm, &fired)
				}
				require.NoError(t, h.Join(ctx))
			}
			tm.Stop()
			return p.Time.Sleep(ctx, 3*time.Second)
		})
		require.NoError(t, res.Err)
		return res, fired
	}
	plain, _ := run(func(*World, *Timer, *[]time.Duration) {})
	stopped, fired := run(func(w *World, tm *Timer, fired *[]time.Duration) {
		w.ArmQuiet(tm, time.Second, func() { *fired = append(*fired, w.Now()) })
	})
	assert.Empty(t, fired)
	assert.Equal(t, plain.Trace, stopped.Trace, "a quiet timer stopped before it fires leaves no trace")
	assert.Equal(t, plain.Events, stopped.Events)

	var fire Timer
	fires, fired := run(func(w *World, _ *Timer, fired *[]time.Duration) {
		w.ArmQuiet(&fire, time.Millisecond, func() { *fired = append(*fired, w.Now()) })
	})
	require.Len(t, fired, 1)
	// Armed at 3ms, after the sleepers of 1ms and 2ms were joined.
	assert.Equal(t, 4*time.Millisecond, fired[0], "it fires at its time")
	assert.Equal(t, plain.Events+1, fires.Events, "one that fires is an event")
	assert.NotEqual(t, plain.Trace, fires.Trace, "and is in the trace")
}
