package providers

import (
	"context"
	"fmt"
	"time"
)

// Ticker paces a loop at a steady period on a [Time], as a time.Ticker
// does, without a goroutine or a channel of its own, so that a simulation
// runs it as one more wait of the task that loops:
//
//	tk := providers.NewTicker(p.Time, 100*time.Millisecond)
//	for {
//		if err := tk.Wait(ctx); err != nil {
//			return err
//		}
//		flush()
//	}
//
// As time.Ticker's, its ticks keep to the period from when it was made,
// whatever the loop's own work takes, and a tick the loop was too slow
// to wait for is dropped, not queued. A loop that must also wait on
// something else waits with [Select] on a [Chan] that a task fills, or
// uses [Time]'s AfterFunc.
type Ticker struct {
	clock  Time
	period time.Duration
	next   time.Time
}

// NewTicker returns a Ticker whose first tick comes period after now on
// clock. It panics if period is not positive, as time.NewTicker does.
func NewTicker(clock Time, period time.Duration) *Ticker {
	if period <= 0 {
		panic(fmt.Sprintf("providers.NewTicker: the period is %v; give a positive period", period))
	}
	return &Ticker{clock: clock, period: period, next: clock.Now().Add(period)}
}

// Wait waits for the next tick, or until ctx is done, in which case it
// returns ctx's error. A tick that passed while the loop did other work
// ends the wait at once; the ticks it fell behind by are dropped.
func (t *Ticker) Wait(ctx context.Context) error {
	if d := t.next.Sub(t.clock.Now()); d > 0 {
		if err := t.clock.Sleep(ctx, d); err != nil {
			return err
		}
	} else if err := ctx.Err(); err != nil {
		return err
	}
	// The next tick is the first one still to come.
	now := t.clock.Now()
	t.next = t.next.Add(t.period)
	if late := now.Sub(t.next); late >= 0 {
		t.next = t.next.Add((late/t.period + 1) * t.period)
	}
	return nil
}

// Reset stops the ticks' cadence and starts it again: the next tick comes
// period after now. It panics if period is not positive.
func (t *Ticker) Reset(period time.Duration) {
	if period <= 0 {
		panic(fmt.Sprintf("providers.Ticker.Reset: the period is %v; give a positive period", period))
	}
	t.period, t.next = period, t.clock.Now().Add(period)
}
