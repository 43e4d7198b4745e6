package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
// allocates the context package's own and one of the simulation's: its
// context, timer and cancel function share one allocation, with the two
// method values that give them out.
func TestDeadlineAllocatesOnce(t *testing.T) {
	var allocs float64
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		ctx, cancel := context.WithCancel(ctx) // owned, as a task's
		defer cancel()
		allocs = testing.AllocsPerRun(100, func() {
			_, cancel := p.Time.WithTimeout(ctx, time.Second)
			cancel()
		})
		return nil
	})
	require.NoError(t, res.Err)
	// context.WithCancelCause's context and its Done channel (made for
	// the ownership map); the deadline, and the method values of its
	// timer and its cancel. It was 6: context, timer and cancel apart.
	assert.LessOrEqual(t, allocs, 5.0, "allocations per deadline set and cancelled")
}
