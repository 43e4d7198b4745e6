package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// waitsOn parks the calling task on ctx until it is done.
func waitsOn(ctx context.Context, p providers.Providers) error {
	tp := p.Task.(Parker)
	return tp.Park(ctx, tp.WaitToken(), "a reply")
}

// A deadline from package context runs on the wall clock: the simulation
// has nothing left to do long before it passes, and the report must say
// that the deadline, not the code's logic, is why.
func TestDeadlockNamesAWallClockDeadline(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "client", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()
			return waitsOn(ctx, p)
		})
		return h.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, `task "client" waits for a deadline on the wall clock (context.WithTimeout or context.WithDeadline of package context)`)
	assert.Contains(t, f.Msg, "make deadlines with p.Time.WithTimeout or p.Time.WithDeadline")
	assert.Contains(t, f.Msg, `task "client" waits on a reply until a wall-clock deadline (`)
	assert.NotContains(t, f.Msg, `task "driver" waits on task join until`)
}

// A wall-clock deadline hangs a seed that has something else to do as
// well: a ticker, a heartbeat, a program's timers keep simulated time
// moving until the budget runs out. The report must name the deadline as
// the deadlock's does, not only ask for a larger budget.
func TestTimeBudgetNamesAWallClockDeadline(t *testing.T) {
	res := New(Config{Seed: 1, TimeBudget: time.Minute}).Run(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "ticker", func(ctx context.Context) error {
			for {
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
			}
		})
		h := p.Task.Go(ctx, "client", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return waitsOn(ctx, p)
		})
		return h.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, TimeBudget, f.Kind)
	assert.Contains(t, f.Msg, `task "client" waits for a deadline on the wall clock (context.WithTimeout or context.WithDeadline of package context)`)
	assert.Contains(t, f.Msg, "make deadlines with p.Time.WithTimeout or p.Time.WithDeadline")
	assert.Contains(t, f.Msg, `task "client" waits on a reply until a wall-clock deadline (`)
	assert.NotContains(t, f.Msg, "raise the budget")
}

// A seed over its budget with no wall-clock deadline is told to raise the
// budget or find the task that never finishes, and nothing of clocks.
func TestTimeBudgetWithoutWallClockDeadlineSaysNothingOfClocks(t *testing.T) {
	res := New(Config{Seed: 1, TimeBudget: time.Minute}).Run(func(ctx context.Context, p providers.Providers) error {
		for {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, TimeBudget, f.Kind)
	assert.Contains(t, f.Msg, "raise the budget with the TimeBudget option, or find the task that never finishes")
	assert.NotContains(t, f.Msg, "wall")
}

// The simulation's own deadlines, and contexts made from them by package
// context, are not the wall clock's; a deadlock without deadlines says
// nothing of clocks.
func TestDeadlockWithoutWallClockDeadlineSaysNothingOfClocks(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		sim, cancel := p.Time.WithTimeout(ctx, time.Hour)
		defer cancel()
		under, cancelUnder := context.WithCancel(sim)
		defer cancelUnder()
		later, cancelLater := context.WithTimeout(sim, 2*time.Hour) // the simulation's hour comes first
		defer cancelLater()
		for _, c := range []context.Context{sim, under, later} {
			_, wall := wallDeadline(c)
			assert.False(t, wall)
		}
		waiting, cancelWaiting := context.WithCancel(ctx)
		defer cancelWaiting()
		return waitsOn(waiting, p)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.NotContains(t, f.Msg, "wall")
}

// A deadline set and cancelled, as a client does around every request,
// allocates its context and the method value that gives its cancel out;
// its timer is one the world reuses. Under a context of package context
// it is package context's own with a timer of the world's.
func TestDeadlineAllocatesOnce(t *testing.T) {
	skipOn32Bit(t)
	var owned, foreign float64
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		owned = testenv.AllocsPerRun(100, func() {
			_, cancel := p.Time.WithTimeout(ctx, time.Second)
			cancel()
		})
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		foreign = testenv.AllocsPerRun(100, func() {
			_, cancel := p.Time.WithTimeout(ctx, time.Second)
			cancel()
		})
		return nil
	})
	require.NoError(t, res.Err)
	// It was 6 with context, timer and cancel apart, then 5 with a timer
	// of the deadline's own, then 4 with one allocation for the deadline
	// and its cancel, beside package context's context and Done channel.
	assert.LessOrEqual(t, owned, 2.0, "allocations per deadline set and cancelled under the world's context")
	assert.LessOrEqual(t, foreign, 4.0, "allocations per deadline set and cancelled under package context's")
}

// Deadlines share the world's timers: one that expired, one cancelled
// (twice), and one cancelled after it expired each end as their own,
// whichever timer the next deadline takes.
func TestDeadlinesReuseTimers(t *testing.T) {
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		for range 3 {
			expired, cancelExpired := p.Time.WithTimeout(ctx, time.Millisecond)
			cancelled, cancel := p.Time.WithTimeout(ctx, time.Hour)
			cancel()
			cancel()
			later, cancelLater := p.Time.WithTimeout(ctx, 2*time.Millisecond)
			require.NoError(t, p.Time.Sleep(ctx, 3*time.Millisecond))
			assert.ErrorIs(t, expired.Err(), context.DeadlineExceeded)
			assert.ErrorIs(t, cancelled.Err(), context.Canceled)
			assert.ErrorIs(t, later.Err(), context.DeadlineExceeded)
			cancelExpired()
			cancelLater()
			assert.ErrorIs(t, expired.Err(), context.DeadlineExceeded, "a cancel after the deadline changes nothing")
			fresh, cancelFresh := p.Time.WithTimeout(ctx, time.Millisecond)
			assert.NoError(t, fresh.Err(), "a timer handed on does not end the next deadline")
			require.NoError(t, p.Time.Sleep(ctx, 500*time.Microsecond))
			assert.NoError(t, fresh.Err())
			require.NoError(t, p.Time.Sleep(ctx, time.Millisecond))
			assert.ErrorIs(t, fresh.Err(), context.DeadlineExceeded)
			cancelFresh()
		}
		return nil
	})
	require.NoError(t, res.Err)
}
