package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// A wait of math.MaxInt64, Go's "forever", outlasts every other event
// also once simulated time has passed: its end saturates rather than
// wrapping around to an instant in the past, which would end it at once.
func TestWaitsOfTheLongestDurationNeverEnd(t *testing.T) {
	const forever = time.Duration(math.MaxInt64)
	w := New(Config{Seed: 1})
	var ended []string
	end := func(what string) func() { return func() { ended = append(ended, what) } }
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		require.NoError(t, p.Time.Sleep(ctx, time.Second)) // from here, now+forever overflows
		p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, forever) // on its own context: Sleep's fast path
			end("Sleep")()
			return nil
		})
		p.Time.AfterFunc(forever, end("AfterFunc"))
		p.Time.AfterFunc(time.Hour, end("Reset")).Reset(forever)
		w.After(forever, end("After"))
		w.Schedule(forever, end("Schedule"))
		var tm Timer
		w.Arm(&tm, forever, end("Arm"))

		dctx, cancel := p.Time.WithTimeout(ctx, time.Minute)
		defer cancel()
		start := p.Time.Now()
		assert.ErrorIs(t, p.Time.Sleep(dctx, forever), context.DeadlineExceeded, "Sleep's general path")
		assert.Equal(t, time.Minute, p.Time.Now().Sub(start), "the sleep ended with its context")

		require.NoError(t, p.Time.Sleep(ctx, 24*time.Hour))
		assert.Empty(t, ended, "no wait of forever ended")
		assert.True(t, tm.Stop(), "the Timer is still armed")
		return nil
	})
	require.NoError(t, res.Err)
}
