package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// Ticks keep to the period from when the ticker was made, whatever the
// loop's work takes, and the ticks a slow loop fell behind by are dropped,
// as time.Ticker's are.
func TestTickerKeepsItsCadenceAndDropsMissedTicks(t *testing.T) {
	sims(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		start := p.Time.Now()
		tk := providers.NewTicker(p.Time, 100*time.Millisecond)
		var at []time.Duration
		for i := range 4 {
			require.NoError(t, tk.Wait(ctx))
			at = append(at, p.Time.Now().Sub(start))
			work := 30 * time.Millisecond
			if i == 1 {
				work = 250 * time.Millisecond // past the next two ticks
			}
			require.NoError(t, p.Time.Sleep(ctx, work))
		}
		assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 450 * time.Millisecond, 500 * time.Millisecond}, at,
			"the tick at 300ms and 400ms came while the loop worked: the first Wait after returns at once, the next at 500ms")

		tk.Reset(time.Second)
		mark := p.Time.Now()
		require.NoError(t, tk.Wait(ctx))
		assert.Equal(t, time.Second, p.Time.Now().Sub(mark), "Reset starts the cadence again")
	})
}

// Wait gives up when its context ends, in production too.
func TestTickerWaitEndsWithItsContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		tk := providers.NewTicker(p.Time, time.Hour)
		short, cancel := p.Time.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, tk.Wait(short), context.DeadlineExceeded)
		assert.ErrorIs(t, tk.Wait(short), context.DeadlineExceeded, "a tick past or not, a done context ends it")
	})
}

func TestTickerRefusesAPeriodThatIsNotPositive(t *testing.T) {
	p := providers.Real()
	assert.PanicsWithValue(t, "providers.NewTicker: the period is 0s; give a positive period", func() { providers.NewTicker(p.Time, 0) })
	tk := providers.NewTicker(p.Time, time.Second)
	assert.PanicsWithValue(t, "providers.Ticker.Reset: the period is -1s; give a positive period", func() { tk.Reset(-time.Second) })
}
