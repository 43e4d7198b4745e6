package sim

import (
	"context"
	"fmt"
	"strings"
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

// A deadline from package context runs on the wall clock, which
// simulated time never reaches: a wait under it would end by something
// else, or never, and the seed would pass or deadlock as though the code
// had no deadline. The wait is refused where it starts, with the fix; so
// are a task, a cancel context and a deadline made under such a
// deadline, and code that recovers panics, as a server's handler does,
// lets the refusal through.
func TestAWallClockDeadlineIsRefusedWhereItIsMet(t *testing.T) {
	for name, tc := range map[string]struct {
		meet func(ctx context.Context, w *World, p providers.Providers) error
		call string
	}{
		"sleep": {func(ctx context.Context, _ *World, p providers.Providers) error { return p.Time.Sleep(ctx, time.Hour) }, "sleep"},
		"park":  {func(ctx context.Context, _ *World, p providers.Providers) error { return waitsOn(ctx, p) }, "a reply"},
		"task": {func(ctx context.Context, _ *World, p providers.Providers) error {
			return p.Task.Go(ctx, "worker", func(context.Context) error { return nil }).Join(context.Background())
		}, "task worker started"},
		"cancel": {func(ctx context.Context, w *World, _ providers.Providers) error {
			_, cancel := w.WithCancel(ctx)
			cancel()
			return nil
		}, "WithCancel"},
		"deadline": {func(ctx context.Context, _ *World, p providers.Providers) error {
			_, cancel := p.Time.WithTimeout(ctx, time.Hour)
			cancel()
			return nil
		}, "Time.WithDeadline"},
		"recovered": {func(ctx context.Context, _ *World, p providers.Providers) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if providers.Unwinding(r) {
						panic(r)
					}
					err = fmt.Errorf("recovered: %v", r)
				}
			}()
			return p.Time.Sleep(ctx, time.Hour)
		}, "sleep"},
	} {
		t.Run(name, func(t *testing.T) {
			w := New(Config{Seed: 1})
			res := w.Run(func(ctx context.Context, p providers.Providers) error {
				h := p.Task.Go(ctx, "client", func(ctx context.Context) error {
					ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
					defer cancel()
					return tc.meet(ctx, w, p)
				})
				return h.Join(ctx)
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, WallDeadline, f.Kind, f.Msg)
			assert.Equal(t, "client", f.Task)
			assert.True(t, strings.HasPrefix(f.Msg, tc.call+" under a deadline on the wall clock ("), f.Msg)
			assert.Contains(t, f.Msg, "make the context with p.Time.WithTimeout or p.Time.WithDeadline")
			assert.Contains(t, f.Stack, "deadline_test.go", "where the task met it")
			assert.Less(t, res.SimTime, time.Second, "refused at once, not after the sleep")
		})
	}
}

// The scheduler's own code (an event's callback) that meets a wall-clock
// deadline fails the run too, and the run ends there, the callback having
// gone on.
func TestAWallClockDeadlineInTheSchedulerEndsTheRun(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		wall, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		w.After(time.Second, func() {
			_, cancel := w.WithCancel(wall)
			cancel()
		})
		return p.Time.Sleep(ctx, time.Hour)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, WallDeadline, f.Kind, f.Msg)
	assert.Equal(t, SchedulerTask, f.Task)
	assert.Equal(t, time.Second, res.SimTime, "the run ended at the callback's step")
}

// A deadline made from time.Now lies years past simulated time: given to
// Time.WithDeadline it is refused with the fix, as a context of package
// context's is; one made from the Time provider's Now is not.
func TestAWallClockTimeIsRefusedAsADeadline(t *testing.T) {
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		_, cancel := p.Time.WithDeadline(ctx, p.Time.Now().Add(time.Second))
		cancel()
		_, cancel = p.Time.WithDeadline(ctx, time.Now().Add(time.Second))
		cancel()
		return nil
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, WallDeadline, f.Kind, f.Msg)
	assert.True(t, strings.HasPrefix(f.Msg, "Time.WithDeadline given a time read from the wall clock ("), f.Msg)
	assert.Contains(t, f.Msg, "take the time from p.Time.Now()")
	assert.Contains(t, f.Stack, "deadline_test.go")
}

// A time read from the wall clock and stripped of its monotonic reading
// cannot be told from a time of the simulation's for sure: it fails
// nothing where it is given, but a seed that then runs out of its budget
// names it, with the fix. A deadline of the simulation's a year ahead is
// never named.
func TestAWallClockTimeWithoutItsMonotonicReadingIsNamedWhenTheBudgetRunsOut(t *testing.T) {
	for name, deadline := range map[string]func() time.Time{
		"UTC":     func() time.Time { return time.Now().UTC().Add(time.Second) },
		"Round":   func() time.Time { return time.Now().Add(time.Second).Round(0) },
		"In":      func() time.Time { return time.Now().In(time.FixedZone("east", 3600)).Add(time.Second) },
		"Unix":    func() time.Time { return time.Unix(time.Now().Unix()+1, 0) },
		"UnixNow": func() time.Time { return time.UnixMilli(time.Now().UnixMilli()) },
	} {
		t.Run(name, func(t *testing.T) {
			res := New(Config{Seed: 1, TimeBudget: time.Minute}).Run(func(ctx context.Context, p providers.Providers) error {
				_, cancel := p.Time.WithDeadline(ctx, p.Time.Now().Add(365*24*time.Hour))
				cancel()
				wctx, cancel := p.Time.WithDeadline(ctx, deadline())
				defer cancel()
				return p.Time.Sleep(wctx, time.Hour) // past the budget: the deadline never comes
			})
			var f *Failure
			require.ErrorAs(t, res.Err, &f)
			assert.Equal(t, TimeBudget, f.Kind, f.Msg)
			assert.Contains(t, f.Msg, "Time.WithDeadline was given ")
			assert.Contains(t, f.Msg, " at 0s, a time within a day of the wall clock's and weeks past simulated time (2024-01-01T00:00:00Z): "+
				"if it was read from the wall clock (time.Now().UTC(), time.Unix), it never ends the wait it bounds; take the time from p.Time.Now()")
		})
	}
	res := New(Config{Seed: 1, TimeBudget: time.Minute}).Run(func(ctx context.Context, p providers.Providers) error {
		wctx, cancel := p.Time.WithDeadline(ctx, p.Time.Now().Add(365*24*time.Hour))
		defer cancel()
		return p.Time.Sleep(wctx, time.Hour)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, TimeBudget, f.Kind, f.Msg)
	assert.NotContains(t, f.Msg, "wall clock", "a deadline of the simulation's")
}

func TestNearWallClock(t *testing.T) {
	wall := time.Date(2026, time.December, 5, 12, 0, 0, 0, time.UTC)
	assert.True(t, nearWallClock(wall.Add(time.Hour), wall))
	assert.True(t, nearWallClock(wall.Add(-23*time.Hour), wall))
	assert.False(t, nearWallClock(wall.Add(25*time.Hour), wall))
	assert.False(t, nearWallClock(Epoch, wall))
}

// simDeadlines returns a deadline of the simulation's under ctx and
// contexts package context makes under it, and what cancels them all.
func simDeadlines(ctx context.Context, p providers.Providers) ([]context.Context, func()) {
	sim, cancel := p.Time.WithTimeout(ctx, time.Hour)
	under, cancelUnder := context.WithCancel(sim)
	later, cancelLater := context.WithTimeout(sim, 2*time.Hour) // the simulation's hour comes first
	return []context.Context{sim, under, later, context.WithoutCancel(sim), context.WithValue(under, struct{}{}, 1)},
		func() { cancelLater(); cancelUnder(); cancel() }
}

// The simulation's own deadlines, and the contexts package context makes
// under them, are never refused, whoever waits on them.
func TestDeadlinesOfTheSimulationAreNotRefused(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		cs, cancel := simDeadlines(ctx, p)
		defer cancel()
		for _, c := range cs {
			if err := p.Time.Sleep(c, time.Millisecond); err != nil {
				return err
			}
			inner, cancelInner := p.Time.WithTimeout(c, time.Minute)
			err := p.Task.Go(inner, "waiter", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Millisecond) }).Join(ctx)
			cancelInner()
			if err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, res.Err)
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
		cs, cancel := simDeadlines(ctx, p)
		defer cancel()
		for _, c := range cs {
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
