package sim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

// A run still going at Config.StopBy, which no guard stops (every step
// moves simulated time on, and there is no time budget), fails between two
// steps with an Overtime failure that says how far it got and what its
// tasks were doing; it is torn down as any failed run, and every goroutine
// of it ends.
func TestARunPastStopByStopsBetweenTwoSteps(t *testing.T) {
	before := goleak.IgnoreCurrent()
	pool := NewWorkers()
	w := New(Config{Seed: 9, Workers: pool, StopBy: time.Now().Add(50 * time.Millisecond)})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "bystander", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, 1000*time.Hour)
		})
		for {
			if err := p.Time.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
	}, 0) // no watchdog: StopBy alone stops the run
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Overtime, f.Kind)
	assert.Equal(t, "driver", f.Task)
	assert.False(t, w.Abandoned(), "stopped, not given up")
	assert.Positive(t, res.Steps)
	assert.Contains(t, f.Error(), `out of wall time at `+res.SimTime.String()+` in task "driver": the seed ran for `)
	assert.Contains(t, f.Msg, " of simulated time, ")
	assert.Contains(t, f.Msg, " without finishing before go test's -timeout, which would end the test binary with no report; "+
		`it was stopped between two steps, after one of task "driver". `)
	assert.Contains(t, f.Msg, "chaos.Storage.Capacity is 0")
	assert.Contains(t, f.Msg, "the TimeBudget option; this seed's is none")
	assert.Contains(t, f.Msg, "raise -timeout")
	assert.Contains(t, f.Msg, `task "driver" waits on sleep`)
	assert.Contains(t, f.Msg, `task "bystander" `, "every task is listed (it may not have started, on a loaded machine)")
	assert.Contains(t, f.Msg, "overtime_test.go:", "the tasks' own stacks")

	pool.Close()
	goleak.VerifyNone(t, before)
}

// A run whose task does not come back to the scheduler once StopBy has
// passed is given up after overtimeGrace, with the watchdog off, and its
// Overtime failure keeps what the watchdog saw of the task.
func TestARunPastStopByWhoseTaskDoesNotComeBackIsGivenUp(t *testing.T) {
	before := goleak.IgnoreCurrent()
	var stop atomic.Bool
	w := New(Config{Seed: 9, StopBy: time.Now().Add(20 * time.Millisecond)})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		n := 0
		for !stop.Load() {
			n = n*3 + 1
		}
		return p.Time.Sleep(ctx, time.Minute)
	}, 0)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Overtime, f.Kind)
	assert.Equal(t, "driver", f.Task)
	assert.True(t, w.Abandoned())
	assert.Zero(t, res.SimTime)
	assert.Contains(t, f.Msg, `and was to stop before go test's -timeout, which would end the test binary with no report, but task "driver" did not come back to the scheduler to stop: the task has run for `)
	assert.Contains(t, f.Msg, "its goroutine is running, not waiting")
	assert.NotContains(t, f.Msg, "usually loops", "a task that never came back is no loop in simulated time")
	assert.Contains(t, f.Stack, "TestARunPastStopByWhoseTaskDoesNotComeBackIsGivenUp")

	stop.Store(true)
	goleak.VerifyNone(t, before) // the task comes back, and unwinds
}

// StopBy changes nothing of a run that ends before it: the same steps,
// the same trace.
func TestStopByChangesNoTrace(t *testing.T) {
	run := func(stopBy time.Time) Result {
		w := New(Config{Seed: 9, StopBy: stopBy})
		return w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
			for i := range 100 {
				p.Task.Go(ctx, "t", func(ctx context.Context) error {
					return p.Time.Sleep(ctx, time.Duration(p.Random.IntN(1000)+i)*time.Millisecond)
				})
			}
			return p.Time.Sleep(ctx, 2*time.Second)
		}, 0)
	}
	plain, bounded := run(time.Time{}), run(time.Now().Add(time.Hour))
	require.NoError(t, plain.Err)
	require.NoError(t, bounded.Err)
	assert.Equal(t, plain.Trace, bounded.Trace)
	assert.Equal(t, plain.Steps, bounded.Steps)
}

// A run whose simulated time stands still while its tasks run, for
// Config.MaxWallPerInstant of wall time, stops between two steps with an
// Overtime failure that names the instant and the devices' words on why,
// long before go test's -timeout: here a task yields in a loop, which no
// step bound catches, while another waits for time to pass.
func TestARunStandingStillPastMaxWallPerInstantStops(t *testing.T) {
	before := goleak.IgnoreCurrent()
	w := New(Config{Seed: 9, MaxWallPerInstant: 100 * time.Millisecond, StopBy: time.Now().Add(time.Hour)})
	w.StillNote(func() string { return "" })
	w.StillNote(func() string { return "The device moved data in no time." })
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		if err := p.Time.Sleep(ctx, time.Second); err != nil {
			return err
		}
		p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, 100*time.Millisecond)
		})
		for {
			p.Task.Yield(ctx)
			w.Progress() // as a device that moves data does: no livelock
		}
	}, 0)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Overtime, f.Kind)
	assert.Equal(t, "driver", f.Task)
	assert.Equal(t, time.Second, res.SimTime)
	assert.Contains(t, f.Error(), `out of wall time at 1s in task "driver": simulated time stood still at 1s for `)
	assert.Contains(t, f.Msg, " of wall time while tasks ran (")
	assert.Contains(t, f.Msg, "and another waited for it to move, past the bound of 100ms (the MaxWallPerInstant option, or -simmaxwall); it was stopped between two steps, after one of task \"driver\". ")
	assert.Contains(t, f.Msg, "while another task sleeps or waits for a deadline that never comes. The device moved data in no time. Make the loop wait")
	assert.NotContains(t, f.Msg, "-timeout")
	assert.Contains(t, f.Msg, `task "sleeper" waits on sleep`)
	goleak.VerifyNone(t, before)
}

// A workload at one instant while nothing waits for a later one (no
// sleep, timer or deadline: millions of round trips over a network with
// no latency) loses nothing by the clock standing still, and is left
// alone past the bound.
func TestAStandstillWithNothingWaitingForTheClockIsLeftAlone(t *testing.T) {
	w := New(Config{Seed: 9, MaxWallPerInstant: 50 * time.Millisecond})
	start := time.Now()
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		for time.Since(start) < 300*time.Millisecond {
			p.Task.Yield(ctx)
			w.Progress()
		}
		return nil
	}, 0)
	require.NoError(t, res.Err)
}

// pingPong has two tasks hand a turn to each other at one instant, each
// turn under a deadline and a timer of a later instant that the turn
// cancels, as a request over a network with no latency does, for at
// least rounds turns and until stop reports true; then it returns what
// the body returned, if anything. Only cancelled events wait for the
// clock to move.
func pingPong(ctx context.Context, p providers.Providers, rounds int, stop func() bool) error {
	turn := 0
	p.Task.Go(ctx, "pong", func(ctx context.Context) error {
		for {
			if turn%2 == 1 {
				turn++
			}
			p.Task.Yield(ctx)
		}
	})
	for i := 0; i < rounds || !stop(); i++ {
		dctx, cancel := p.Time.WithTimeout(ctx, time.Second)
		timer := p.Time.AfterFunc(time.Hour, func() {})
		for turn%2 == 0 {
			turn++
		}
		for turn%2 == 1 {
			p.Task.Yield(dctx)
		}
		timer.Stop()
		cancel()
	}
	return nil
}

// A ping-pong at one instant whose every turn sets and cancels a deadline
// and a timer runs past the bound: the cancelled events stay queued until
// the queue comes to them, but no task waits for them, and the run is left
// alone. It runs four bounds of wall time, so that the bound would have
// tripped several times over.
func TestCancelledDeadlinesAreNotAWaitForTheClock(t *testing.T) {
	const still = 50 * time.Millisecond
	w := New(Config{Seed: 9, MaxWallPerInstant: still})
	start := time.Now()
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		return pingPong(ctx, p, 1000, func() bool { return time.Since(start) > 4*still })
	}, 0)
	require.NoError(t, res.Err)
	assert.Equal(t, time.Duration(0), res.SimTime)
}

// The same ping-pong while a task sleeps for a later instant that never
// comes stands still with a live wait among the cancelled ones, nearer
// and further than it, and stops with the standstill's failure.
func TestACancelledDeadlineDoesNotHideALiveWait(t *testing.T) {
	w := New(Config{Seed: 9, MaxWallPerInstant: 50 * time.Millisecond, StopBy: time.Now().Add(time.Hour)})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Minute)
		})
		return pingPong(ctx, p, 0, func() bool { return false })
	}, 0)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Overtime, f.Kind)
	assert.Equal(t, time.Duration(0), res.SimTime)
	assert.Contains(t, f.Error(), `out of wall time at 0s in task `)
	assert.Contains(t, f.Msg, "simulated time stood still at 0s for ")
	assert.Contains(t, f.Msg, "and another waited for it to move, past the bound of 50ms (the MaxWallPerInstant option, or -simmaxwall)")
	assert.Contains(t, f.Msg, `task "sleeper" waits on sleep`)
}

// Steps too slow for 4,096 of them to run in a bound of wall time still
// stand still: a wait that outlived a whole bound since the last look
// stops the run, though fewer steps ran than a quick run's look needs.
func TestSlowStepsStandingStillAreStopped(t *testing.T) {
	w := New(Config{Seed: 9, MaxWallPerInstant: 50 * time.Millisecond, StopBy: time.Now().Add(time.Hour)})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Minute)
		})
		for range 3000 { // 6 s of steps of 2 ms: a bound's look needs 4,096
			for start := time.Now(); time.Since(start) < 2*time.Millisecond; {
			}
			p.Task.Yield(ctx)
		}
		return nil
	}, 0)
	var f *Failure
	require.ErrorAs(t, res.Err, &f, "3,000 slow steps at one instant while a task waits for a later one")
	assert.Equal(t, Overtime, f.Kind)
	assert.Contains(t, f.Msg, "simulated time stood still at 0s for ")
	assert.Contains(t, f.Msg, `task "sleeper" waits on sleep`)
}

// One long step after a few quick ones at an instant, while a sleeper
// waits, is not a standstill of many steps: it is the watchdog's, and
// with the watchdog off it runs to its end.
func TestOneLongStepIsNotAStandstill(t *testing.T) {
	w := New(Config{Seed: 9, MaxWallPerInstant: 100 * time.Millisecond})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Second)
		})
		for range 10 {
			p.Task.Yield(ctx)
		}
		for start := time.Now(); time.Since(start) < 500*time.Millisecond; {
		}
		return nil
	}, 0)
	require.NoError(t, res.Err)
}

// A long workload at one instant whose clock does move on before the
// bound passes, and one under no bound, are left alone.
func TestMaxWallPerInstantLeavesAClockThatMoves(t *testing.T) {
	for _, still := range []time.Duration{0, 50 * time.Millisecond} {
		w := New(Config{Seed: 9, MaxWallPerInstant: still})
		start := time.Now()
		res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
			for time.Since(start) < 200*time.Millisecond {
				if err := p.Time.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
			return nil
		}, 0)
		require.NoError(t, res.Err, "bound %v", still)
	}
}

// A run out of wall time whose clock moved and which has a time budget is
// told how long the rest of the budget would take at the rate it ran, so
// that a long seed is not read as a looping one.
//
// StopBy is a wall-clock time: a loaded machine may start the run so late
// that it is stopped before its first sleep ends, at 0s, with no rate to
// project from; such a run is told that a seed this long usually loops,
// and the test runs again with twice the time, until the clock moves.
func TestARunPastStopByWithABudgetIsToldWhatTheRestWouldTake(t *testing.T) {
	pool := NewWorkers()
	defer pool.Close()
	for wall := 50 * time.Millisecond; ; wall *= 2 {
		w := New(Config{Seed: 9, Workers: pool, TimeBudget: 1000 * time.Hour, StopBy: time.Now().Add(wall)})
		res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
			for {
				if err := p.Time.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
		}, 0)
		var f *Failure
		require.ErrorAs(t, res.Err, &f)
		require.Equal(t, Overtime, f.Kind)
		if res.SimTime == 0 {
			assert.Contains(t, f.Msg, "A seed that runs this long usually loops: ", "stopped at 0s")
			require.Less(t, wall, 10*time.Second, "the run never got past its first sleep before StopBy")
			continue
		}
		assert.Contains(t, f.Msg, " a wall second, so the rest of its time budget of 1000h0m0s would take about ")
		assert.Contains(t, f.Msg, "if the workload is that long, the seed is long, not stuck; if not, it loops: code that keeps writing")
		assert.NotContains(t, f.Msg, "usually loops")
		return
	}
}

func TestProjected(t *testing.T) {
	at := 5*time.Hour + 28*time.Minute + 35*time.Second
	need, ok := projected(14500*time.Millisecond, at, 26*time.Hour)
	assert.True(t, ok)
	assert.Equal(t, 54*time.Second, need, "the soak seed that reached 5h28m35s of 26h in 14.5 s")
	assert.Equal(t, 22*time.Minute+40*time.Second, rate(14500*time.Millisecond, at))
	for _, c := range []struct{ wall, at, budget time.Duration }{
		{time.Second, 0, time.Hour},         // the clock stood still
		{time.Second, time.Minute, 0},       // no budget
		{time.Second, time.Hour, time.Hour}, // the budget reached
		{0, time.Minute, time.Hour},         // no wall time
	} {
		_, ok := projected(c.wall, c.at, c.budget)
		assert.False(t, ok, "%+v", c)
	}
}
