package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/providers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func run(seed uint64, root func(ctx context.Context, p providers.Providers) error) Result {
	return New(Config{Seed: seed}).Run(root)
}

func TestSleepAdvancesSimulatedTime(t *testing.T) {
	var woke []time.Duration
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		start := p.Time.Now()
		require.Equal(t, Epoch, start)
		for range 3 {
			require.NoError(t, p.Time.Sleep(ctx, time.Second))
			woke = append(woke, p.Time.Now().Sub(start))
		}
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, woke)
	assert.Equal(t, 3*time.Second, res.SimTime)
	assert.Equal(t, uint64(3), res.Events)
}

// interleaving runs three tasks that each append their name three times,
// yielding in between, and returns the order they ran in.
func interleaving(seed uint64) (string, Result) {
	var order strings.Builder
	res := run(seed, func(ctx context.Context, p providers.Providers) error {
		var hs []providers.Handle
		for _, name := range []string{"a", "b", "c"} {
			hs = append(hs, p.Task.Go(ctx, name, func(ctx context.Context) error {
				for range 3 {
					order.WriteString(name)
					p.Task.Yield(ctx)
				}
				return nil
			}))
		}
		for _, h := range hs {
			if err := h.Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return order.String(), res
}

func TestSeedDecidesInterleaving(t *testing.T) {
	a1, r1 := interleaving(7)
	a2, r2 := interleaving(7)
	require.NoError(t, r1.Err)
	assert.Equal(t, a1, a2)
	assert.Equal(t, r1.Trace, r2.Trace)

	orders := map[string]bool{}
	traces := map[uint64]bool{}
	for seed := range uint64(50) {
		o, r := interleaving(seed)
		orders[o] = true
		traces[r.Trace] = true
	}
	assert.Greater(t, len(orders), 10, "different seeds explore different interleavings")
	assert.GreaterOrEqual(t, len(traces), len(orders))
}

func TestJoinReturnsTaskError(t *testing.T) {
	boom := errors.New("boom")
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "worker", func(ctx context.Context) error {
			_ = p.Time.Sleep(ctx, time.Millisecond)
			return boom
		})
		assert.Equal(t, "worker", h.Name())
		assert.ErrorIs(t, h.Join(ctx), boom)
		assert.ErrorIs(t, h.Join(ctx), boom, "a second Join gives the same error")
		return nil
	})
	require.NoError(t, res.Err)
}

func TestCancelEndsSleep(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "sleeper", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Hour)
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		h.Cancel()
		assert.ErrorIs(t, h.Join(ctx), context.Canceled)
		assert.Equal(t, time.Second, p.Time.Now().Sub(Epoch), "the hour-long sleep was cut short")
		return nil
	})
	require.NoError(t, res.Err)
}

func TestDeadlineContext(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		tctx, cancel := p.Time.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		dl, ok := tctx.Deadline()
		require.True(t, ok)
		assert.Equal(t, Epoch.Add(3*time.Second), dl)
		err := p.Time.Sleep(tctx, time.Minute)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, tctx.Err(), context.DeadlineExceeded)
		assert.Equal(t, 3*time.Second, p.Time.Now().Sub(Epoch))

		// a stdlib child of a simulated deadline is cancelled with it
		tctx2, cancel2 := p.Time.WithTimeout(ctx, time.Second)
		defer cancel2()
		child, cancelChild := context.WithCancel(tctx2)
		defer cancelChild()
		assert.Error(t, p.Time.Sleep(child, time.Minute))
		assert.Equal(t, 4*time.Second, p.Time.Now().Sub(Epoch))

		// cancelling early removes the timer event
		_, cancel3 := p.Time.WithTimeout(ctx, time.Hour)
		cancel3()
		return nil
	})
	require.NoError(t, res.Err)
	assert.Equal(t, 4*time.Second, res.SimTime, "a cancelled deadline leaves no event behind")
}

func TestAfterFunc(t *testing.T) {
	var fired []time.Duration
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		p.Time.AfterFunc(2*time.Second, func() { fired = append(fired, p.Time.Now().Sub(Epoch)) })
		stopped := p.Time.AfterFunc(time.Second, func() { t.Error("stopped timer fired") })
		assert.True(t, stopped.Stop())
		assert.False(t, stopped.Stop())
		reset := p.Time.AfterFunc(time.Second, func() { fired = append(fired, p.Time.Now().Sub(Epoch)) })
		assert.True(t, reset.Reset(5*time.Second))
		return p.Time.Sleep(ctx, 10*time.Second)
	})
	require.NoError(t, res.Err)
	assert.Equal(t, []time.Duration{2 * time.Second, 5 * time.Second}, fired)
}

func TestPanicFailsRunWithTaskAndStack(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "crasher", func(ctx context.Context) error {
			var m map[string]int
			m["x"] = 1 // nil map write
			return nil
		})
		return p.Time.Sleep(ctx, time.Second)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Panic, f.Kind)
	assert.Equal(t, "crasher", f.Task)
	assert.Contains(t, f.Msg, "nil map")
	assert.Contains(t, f.Stack, "world_test.go")
}

func TestRootErrorFailsRun(t *testing.T) {
	boom := errors.New("boom")
	res := run(1, func(ctx context.Context, p providers.Providers) error { return boom })
	assert.ErrorIs(t, res.Err, boom)
}

func TestDeadlockNamesEveryParkedTask(t *testing.T) {
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		for _, name := range []string{"left", "right"} {
			p.Task.Go(ctx, name, func(ctx context.Context) error {
				tp := p.Task.(Parker)
				return tp.Park(ctx, tp.WaitToken(), "a message that never comes")
			})
		}
		h := p.Task.Go(ctx, "joiner", func(ctx context.Context) error { return nil })
		_ = h.Join(ctx)
		tp := p.Task.(Parker)
		return tp.Park(ctx, tp.WaitToken(), "the end of the world")
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, `task "driver" waits on the end of the world`)
	// Waiting at one place, the two are told together.
	assert.Contains(t, f.Msg, `2 tasks wait on a message that never comes, all at one place ("left", "right")`)
	assert.Contains(t, f.Msg, "world_test.go", "the report shows where each task waits")
	assert.NotContains(t, f.Msg, `"joiner"`, "finished tasks are not listed")
}

// A goroutine a task starts inherits its worker's pprof label; the report
// of a later task on that worker must show that task's stack, not the
// goroutine's.
func TestDeadlockShowsTheTaskNotAGoroutineOfItsWorker(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		h := p.Task.Go(ctx, "spawner", func(ctx context.Context) error {
			go strayGoroutine(release)
			return nil
		})
		_ = h.Join(ctx)
		// The spawner's worker is idle: the next task runs on it.
		p.Task.Go(ctx, "heir", func(ctx context.Context) error { return heirWaits(ctx, p) })
		tp := p.Task.(Parker)
		return tp.Park(ctx, tp.WaitToken(), "the end of the world")
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, `task "heir" waits on a message that never comes`)
	assert.Contains(t, f.Msg, "heirWaits", "the heir's own stack")
	tasks, _, _ := strings.Cut(f.Msg, "goroutine(s) started by the run's tasks") // the goroutine's own note follows
	assert.NotContains(t, tasks, "strayGoroutine", "not the stack of the goroutine its worker started")
}

func strayGoroutine(release chan struct{}) { <-release }

func heirWaits(ctx context.Context, p providers.Providers) error {
	tp := p.Task.(Parker)
	return tp.Park(ctx, tp.WaitToken(), "a message that never comes")
}

func TestLivelockGuard(t *testing.T) {
	res := New(Config{Seed: 1, MaxStepsPerInstant: 1000}).Run(func(ctx context.Context, p providers.Providers) error {
		for {
			p.Task.Yield(ctx)
		}
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Livelock, f.Kind)
	assert.Contains(t, f.Msg, "MaxStepsPerInstant")
}

func TestTimeBudget(t *testing.T) {
	res := New(Config{Seed: 1, TimeBudget: time.Minute}).Run(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "forever", func(ctx context.Context) error {
			for {
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
			}
		})
		h := p.Task.Go(ctx, "never", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		return h.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, TimeBudget, f.Kind)
	assert.Equal(t, time.Minute, f.At)
	assert.Contains(t, f.Msg, `task "never" waits on sleep`)
	assert.Contains(t, f.Msg, `task "driver" waits on task join`)
	assert.Contains(t, f.Msg, "TimeBudget option")
}

func TestTeardownKillsTasksAndRunsDefers(t *testing.T) {
	var unwound []string
	var afterKill bool
	res := run(1, func(ctx context.Context, p providers.Providers) error {
		for _, name := range []string{"a", "b"} {
			p.Task.Go(ctx, name, func(ctx context.Context) error {
				defer func() {
					unwound = append(unwound, name)
					// a simulation call while unwinding fails at once
					_ = p.Time.Sleep(ctx, time.Second)
					afterKill = true
				}()
				return p.Time.Sleep(ctx, time.Hour)
			})
		}
		_ = p.Time.Sleep(ctx, time.Millisecond)
		p.Task.Go(ctx, "never-started", func(ctx context.Context) error {
			t.Error("a task killed before it ran must not run")
			return nil
		})
		return nil
	})
	require.NoError(t, res.Err)
	assert.ElementsMatch(t, []string{"a", "b"}, unwound)
	assert.False(t, afterKill)
	assert.Equal(t, time.Millisecond, res.SimTime)
}

func TestStartAfterEndPanicsWithFix(t *testing.T) {
	var p providers.Providers
	var ctx context.Context
	res := run(1, func(c context.Context, pp providers.Providers) error { p, ctx = pp, c; return nil })
	require.NoError(t, res.Err)
	const fix = "a value it made (its S, providers, connections, files) outlived it: use such values only while the seed runs; " +
		"a cleanup that uses one registers with s.Cleanup, which runs at the seed's end (or the helper that registers it takes the body's s), " +
		"not with the test's t.Cleanup, which runs after every seed has ended"
	assert.PanicsWithValue(t, "sim: Task.Go after the simulation ended; "+fix,
		func() { p.Task.Go(ctx, "late", func(context.Context) error { return nil }) })
	assert.PanicsWithValue(t, "sim: Sleep after the simulation ended; "+fix,
		func() { _ = p.Time.Sleep(ctx, time.Second) })

	// A world its runner named says which run it was.
	w := New(Config{Seed: 1})
	w.SetOwner("seed 1 of the simtest.Run in TestX")
	require.NoError(t, w.Run(func(c context.Context, pp providers.Providers) error { p, ctx = pp, c; return nil }).Err)
	assert.PanicsWithValue(t, "sim: Sleep after the simulation ended (seed 1 of the simtest.Run in TestX); "+fix,
		func() { _ = p.Time.Sleep(ctx, time.Second) })
}

func TestRunTwicePanics(t *testing.T) {
	w := New(Config{})
	w.Run(func(context.Context, providers.Providers) error { return nil })
	assert.Panics(t, func() { w.Run(func(context.Context, providers.Providers) error { return nil }) })
}

func TestRecordAndDiverge(t *testing.T) {
	work := func(extra bool) func(ctx context.Context, p providers.Providers) error {
		return func(ctx context.Context, p providers.Providers) error {
			for i := range 5 {
				p.Task.Go(ctx, fmt.Sprint("t", i), func(ctx context.Context) error {
					if extra && i == 3 {
						p.Random.Uint64()
					}
					return p.Time.Sleep(ctx, time.Duration(i)*time.Millisecond)
				})
			}
			return p.Time.Sleep(ctx, time.Second)
		}
	}
	a := New(Config{Seed: 3, Record: true}).Run(work(false))
	b := New(Config{Seed: 3, Record: true}).Run(work(false))
	c := New(Config{Seed: 3, Record: true}).Run(work(true))
	assert.Equal(t, "", Diverge(a.Record, b.Record))
	assert.Equal(t, a.Trace, b.Trace)
	assert.NotEqual(t, a.Trace, c.Trace)
	d := Diverge(a.Record, c.Record)
	assert.Contains(t, d, "differs")
	assert.Contains(t, d, "first run:")
}

func TestWatchdogReportsTaskBlockedOutsideSimulation(t *testing.T) {
	var mu sync.Mutex
	mu.Lock()
	release := make(chan struct{})
	w := New(Config{Seed: 9})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "stuck", func(ctx context.Context) error {
			<-release // a raw channel: invisible to the simulation
			return nil
		})
		return p.Time.Sleep(ctx, time.Second)
	}, 200*time.Millisecond)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Escaped, f.Kind)
	assert.Equal(t, "stuck", f.Task)
	assert.Contains(t, f.Stack, "world_test.go")
	assert.Contains(t, f.Msg, "blocked outside the simulation")
	// Let the abandoned world finish so no goroutine outlives the test.
	close(release)
}

func TestGoexitTearsDownAndReports(t *testing.T) {
	var unwound bool
	res := New(Config{Seed: 1}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "bystander", func(ctx context.Context) error {
			defer func() { unwound = true }()
			return p.Time.Sleep(ctx, time.Hour)
		})
		_ = p.Time.Sleep(ctx, time.Second)
		p.Task.Go(ctx, "quitter", func(ctx context.Context) error {
			goexit()
			return nil
		})
		return p.Time.Sleep(ctx, time.Hour)
	}, 0)
	assert.True(t, res.Goexit)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Goexit, f.Kind)
	assert.True(t, unwound, "the other tasks were torn down")
}

// A deadlock report names the task each join waits for, so that a cycle
// of joins reads as one, and says of a task that joins itself that it
// does, with the fix.
func TestDeadlockNamesTheTaskAJoinWaitsFor(t *testing.T) {
	res := New(Config{Seed: 1}).Run(func(ctx context.Context, p providers.Providers) error {
		var one, two, self providers.Handle
		start := providers.NewChan[struct{}](p.Task, 3)
		one = p.Task.Go(ctx, "one", func(ctx context.Context) error {
			_, _, _ = start.Recv(ctx)
			return two.Join(ctx)
		})
		two = p.Task.Go(ctx, "two", func(ctx context.Context) error {
			_, _, _ = start.Recv(ctx)
			return one.Join(ctx)
		})
		self = p.Task.Go(ctx, "self", func(ctx context.Context) error {
			_, _, _ = start.Recv(ctx)
			return self.Join(ctx)
		})
		for range 3 {
			_ = start.Send(ctx, struct{}{})
		}
		return one.Join(ctx)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Deadlock, f.Kind)
	assert.Contains(t, f.Msg, `task "driver" waits on task join (of task "one")`)
	assert.Contains(t, f.Msg, `task "one" waits on task join (of task "two")`)
	assert.Contains(t, f.Msg, `task "two" waits on task join (of task "one")`)
	assert.Contains(t, f.Msg, `task "self" waits on task join (of itself: a task that joins itself waits for its own end, which never comes; join it from another task)`)
}

func TestGoexitNamesTheTaskAndWhereItExited(t *testing.T) {
	res := New(Config{Seed: 1}).RunGuarded(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "quitter", func(ctx context.Context) error {
			goexit()
			return nil
		})
		return p.Time.Sleep(ctx, time.Hour)
	}, 0)
	require.True(t, res.Goexit)
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Goexit, f.Kind)
	assert.Equal(t, "quitter", f.Task, "the report names the task that exited")
	assert.Contains(t, f.Stack, "TestGoexitNamesTheTaskAndWhereItExited", "the stack shows the task's own code")
	assert.Contains(t, f.Stack, "goexit_test.go", "the stack shows the call that exited")
	assert.NotContains(t, f.Stack, "internal/sim/task.go", "the engine's frames are left out")
	assert.Contains(t, f.Msg, "through the body's S", "the message names the fix")
}

func TestGroupKillStopsEveryTaskOfTheProcess(t *testing.T) {
	var unwound []string
	world := New(Config{Seed: 2})
	res := world.Run(func(ctx context.Context, p providers.Providers) error {
		g := world.NewGroup("node1")
		g.Go(ctx, "main", func(ctx context.Context) error {
			p.Task.Go(ctx, "child", func(ctx context.Context) error {
				defer func() { unwound = append(unwound, "child") }()
				return p.Time.Sleep(ctx, time.Hour)
			})
			p.Time.AfterFunc(time.Minute, func() { t.Error("a timer of a killed process fired its task") })
			defer func() { unwound = append(unwound, "main") }()
			return p.Time.Sleep(ctx, time.Hour)
		})
		bystander := p.Task.Go(ctx, "bystander", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, 2*time.Second)
		})
		require.NoError(t, p.Time.Sleep(ctx, time.Second))
		assert.Equal(t, 2, g.Alive())
		g.Kill()
		assert.Equal(t, 0, g.Alive())
		assert.ElementsMatch(t, []string{"main", "child"}, unwound)
		require.NoError(t, bystander.Join(ctx), "tasks outside the group live on")
		return p.Time.Sleep(ctx, 2*time.Minute)
	})
	require.NoError(t, res.Err)
	process := map[string]string{}
	for _, e := range res.Timeline {
		if e.Name == "task started" {
			process[e.Task] = e.Process
		}
	}
	assert.Equal(t, map[string]string{"driver": "", "node1/main": "node1", "node1/child": "node1", "bystander": ""}, process,
		"a task's timeline entries name its process")
}

func TestTasksReuseTheGoroutinesOfFinishedTasks(t *testing.T) {
	w := New(Config{Seed: 1})
	var order []int
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		for i := range 100 {
			h := p.Task.Go(ctx, "short", func(ctx context.Context) error {
				order = append(order, i)
				return p.Time.Sleep(ctx, time.Millisecond)
			})
			if err := h.Join(ctx); err != nil {
				return err
			}
		}
		// A killed task's worker is not reused; the next task gets another.
		h := p.Task.Go(ctx, "victim", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Hour) })
		p.Task.Yield(ctx)
		w.Kill(h)
		h = p.Task.Go(ctx, "after", func(ctx context.Context) error { order = append(order, -1); return nil })
		return h.Join(ctx)
	})
	require.NoError(t, res.Err)
	assert.Len(t, order, 101)
	assert.Equal(t, -1, order[100])
	assert.LessOrEqual(t, w.workers, 4, "a hundred short tasks in a row share a worker or two")
}

func TestStallGuardCatchesTimeThatCrawls(t *testing.T) {
	res := New(Config{Seed: 1, MaxStepsPerInstant: 10_000}).Run(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "ticker", func(ctx context.Context) error {
			for {
				if err := p.Time.Sleep(ctx, time.Nanosecond); err != nil {
					return err
				}
			}
		})
		return p.Time.Sleep(ctx, time.Hour)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Stalled, f.Kind)
	assert.Equal(t, "ticker", f.Task, "the task that fired most")
	assert.Contains(t, f.Msg, "more than 10000 steps and events ran while simulated time moved only")
	assert.Contains(t, f.Msg, `were task "ticker"`)
	assert.Less(t, res.SimTime, time.Millisecond)
}

func TestStallGuardCatchesAnEventThatReArmsItself(t *testing.T) {
	var w *World
	w = New(Config{Seed: 1, MaxStepsPerInstant: 10_000})
	var rearm func()
	rearm = func() { w.After(0, rearm) }
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		w.After(time.Second, rearm)
		return p.Time.Sleep(ctx, time.Hour)
	})
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Stalled, f.Kind)
	assert.Equal(t, time.Second, f.At)
	assert.Contains(t, f.Msg, "were the event callback")
	assert.Contains(t, f.Msg, "world_test.go")
}

func TestStallGuardLetsBusyRunsThrough(t *testing.T) {
	// The bound allows 100,000 steps and events per 100 ms of simulated
	// time; 250 tasks waking every millisecond take half of that.
	res := New(Config{Seed: 1, MaxStepsPerInstant: 100_000}).Run(func(ctx context.Context, p providers.Providers) error {
		var hs []providers.Handle
		for range 250 {
			hs = append(hs, p.Task.Go(ctx, "busy", func(ctx context.Context) error {
				for range 1000 {
					if err := p.Time.Sleep(ctx, time.Millisecond); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		for _, h := range hs {
			if err := h.Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, res.Err)
}

// The livelock and stall guards fail a run at the step or event that passes
// their bound, not one earlier or later, and the stall guard names what
// fired among the last stallSample: the counts and the trace at the failure
// are pinned.
func TestGuardsFailAtTheirBound(t *testing.T) {
	res := New(Config{Seed: 1, MaxStepsPerInstant: 1000}).Run(func(ctx context.Context, p providers.Providers) error {
		for {
			p.Task.Yield(ctx)
		}
	})
	require.Error(t, res.Err)
	assert.Equal(t, [3]uint64{1001, 0, 4649482047088051482}, [3]uint64{res.Steps, res.Events, res.Trace}, "the livelock guard fails the 1001st step at one instant")

	res = New(Config{Seed: 1, MaxStepsPerInstant: 10_000}).Run(func(ctx context.Context, p providers.Providers) error {
		p.Task.Go(ctx, "ticker", func(ctx context.Context) error {
			for {
				if err := p.Time.Sleep(ctx, time.Nanosecond); err != nil {
					return err
				}
			}
		})
		return p.Time.Sleep(ctx, time.Hour)
	})
	require.Error(t, res.Err)
	assert.Equal(t, [3]uint64{5001, 4999, 13433396062425618203}, [3]uint64{res.Steps, res.Events, res.Trace}, "a step passes the stall guard's bound")
	assert.Contains(t, res.Err.Error(), "Of the last 1000, ")

	var w *World
	w = New(Config{Seed: 1, MaxStepsPerInstant: 10_000})
	var rearm func()
	rearm = func() { w.After(0, rearm) }
	res = w.Run(func(ctx context.Context, p providers.Providers) error {
		w.After(time.Second, rearm)
		return p.Time.Sleep(ctx, time.Hour)
	})
	require.Error(t, res.Err)
	assert.Equal(t, [3]uint64{1, 10_000, 13430472960319599025}, [3]uint64{res.Steps, res.Events, res.Trace}, "an event passes the stall guard's bound; it is not counted")
	assert.Contains(t, res.Err.Error(), "Of the last 1000, 1000 were the event callback")
}

// A limit fails the run with its message at the limit, listing the tasks;
// one lifted, or never reached, leaves the run's trace as it was without
// it, since it schedules nothing.
func TestSetLimit(t *testing.T) {
	body := func(w *World, limit time.Duration, lift bool) func(context.Context, providers.Providers) error {
		return func(ctx context.Context, p providers.Providers) error {
			if limit > 0 {
				w.SetLimit(limit, func() string { return "past the limit" })
			}
			for i := range 30 {
				if i == 10 && lift {
					w.SetLimit(0, nil)
				}
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
			}
			return nil
		}
	}
	w := New(Config{Seed: 1})
	res := w.Run(body(w, 20*time.Second, false))
	var f *Failure
	require.ErrorAs(t, res.Err, &f)
	assert.Equal(t, Limit, f.Kind)
	assert.Equal(t, 20*time.Second, f.At)
	assert.Contains(t, f.Msg, "past the limit:\n")
	assert.Contains(t, f.Msg, `task "driver" waits on sleep`)

	w = New(Config{Seed: 1})
	plain := w.Run(body(w, 0, false))
	require.NoError(t, plain.Err)
	for _, tc := range []struct {
		limit time.Duration
		lift  bool
	}{{time.Hour, false}, {20 * time.Second, true}} {
		w = New(Config{Seed: 1})
		res := w.Run(body(w, tc.limit, tc.lift))
		require.NoError(t, res.Err)
		assert.Equal(t, plain.Trace, res.Trace)
	}
}
