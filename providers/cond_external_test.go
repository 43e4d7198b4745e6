package providers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// waitFor locks m and waits on c until cond holds, as a Cond is used.
func waitFor(ctx context.Context, m *providers.Mutex, c *providers.Cond, cond func() bool) error {
	if err := m.Lock(ctx); err != nil {
		return err
	}
	defer m.Unlock()
	for !cond() {
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

func TestCondSignalWakesOneWaiter(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		tokens, served := 0, 0 // guarded by m
		wg := providers.NewWaitGroup(p.Task)
		for range 3 {
			wg.Go(ctx, "consumer", func(ctx context.Context) error {
				if err := waitFor(ctx, m, c, func() bool { return tokens > 0 }); err != nil {
					return err
				}
				require.NoError(t, m.Lock(ctx))
				tokens--
				served++
				m.Unlock()
				return nil
			})
		}
		for range 3 {
			pause(ctx, p)
			require.NoError(t, m.Lock(ctx))
			tokens++
			m.Unlock()
			c.Signal()
		}
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, 3, served)
		assert.Equal(t, 0, tokens)
	})
}

func TestCondBroadcastWakesEveryWaiter(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		open := false // guarded by m
		wg := providers.NewWaitGroup(p.Task)
		for range 4 {
			wg.Go(ctx, "waiter", func(ctx context.Context) error {
				return waitFor(ctx, m, c, func() bool { return open })
			})
		}
		pause(ctx, p)
		require.NoError(t, m.Lock(ctx))
		open = true
		c.Broadcast() // with the Mutex held, as sync.Cond allows
		m.Unlock()
		require.NoError(t, wg.Wait(ctx))
	})
}

func TestCondWaitGivesUpWithContextAndRelocks(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		require.NoError(t, m.Lock(ctx))
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		require.ErrorIs(t, c.Wait(tctx), context.DeadlineExceeded)
		assert.False(t, m.TryLock(), "Wait returned without the Mutex locked")
		require.ErrorIs(t, c.Wait(cancelled(ctx)), context.Canceled)
		assert.False(t, m.TryLock(), "Wait returned without the Mutex locked")
		m.Unlock()

		// The waits that gave up left no waiter behind to swallow a
		// Signal meant for a later one.
		woken := false // guarded by m
		h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
			require.NoError(t, m.Lock(ctx))
			defer m.Unlock()
			err := c.Wait(ctx)
			woken = err == nil
			return err
		})
		pause(ctx, p)
		c.Signal()
		require.NoError(t, h.Join(ctx))
		assert.True(t, woken)
	})
}

func TestCondWaitGivesUpWhileTheMutexIsHeld(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		wctx, cancel := context.WithCancel(ctx)
		h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
			require.NoError(t, m.Lock(ctx))
			defer m.Unlock()
			return c.Wait(wctx)
		})
		pause(ctx, p)
		require.NoError(t, m.Lock(ctx))
		cancel() // the waiter's wait ends, but it cannot relock yet
		pause(ctx, p)
		m.Unlock()
		assert.ErrorIs(t, h.Join(ctx), context.Canceled)
		assert.True(t, m.TryLock(), "the waiter's Unlock after Wait left the Mutex locked")
		m.Unlock()
	})
}

func TestCondWaitWithoutTheMutexPanics(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		const msg = "providers: Cond.Wait with its Mutex unlocked; lock the Mutex, check the condition, and call Wait in a loop while it does not hold"
		assert.PanicsWithValue(t, msg, func() { _ = c.Wait(ctx) })
		// The failed Wait queued no waiter: a Signal goes to the next one.
		h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
			require.NoError(t, m.Lock(ctx))
			defer m.Unlock()
			return c.Wait(ctx)
		})
		pause(ctx, p)
		c.Signal()
		require.NoError(t, h.Join(ctx))
	})
}

func TestNewCondMisuse(t *testing.T) {
	rp := providers.Real()
	assert.PanicsWithValue(t, "providers: NewCond with a nil Task; pass the Task of your Providers (p.Task)",
		func() { providers.NewCond(nil, providers.NewMutex(rp.Task)) })
	assert.PanicsWithValue(t, "providers: NewCond with a nil Mutex; pass the Mutex that guards the condition (providers.NewMutex(p.Task))",
		func() { providers.NewCond(rp.Task, nil) })
	assert.PanicsWithValue(t, "providers: NewCond with a Mutex made with another Task; make the Mutex and the Cond with the same p.Task",
		func() { providers.NewCond(rp.Task, &providers.Mutex{}) })
	var zero providers.Cond
	assert.PanicsWithValue(t, "providers: Cond used without NewCond; make Conds with NewCond", zero.Signal)
	assert.PanicsWithValue(t, "providers: Cond used without NewCond; make Conds with NewCond", zero.Broadcast)

	simulate(t, 1, func(t *testing.T, ctx context.Context, p providers.Providers) {
		assert.PanicsWithValue(t, "providers: NewCond with a Mutex made with another Task; make the Mutex and the Cond with the same p.Task",
			func() { providers.NewCond(p.Task, providers.NewMutex(rp.Task)) })
		assert.PanicsWithValue(t, "providers: NewCond with a Mutex made with another Task; make the Mutex and the Cond with the same p.Task",
			func() { providers.NewCond(rp.Task, providers.NewMutex(p.Task)) })
	})
}

// In a simulation, Signal wakes the longest waiter and Broadcast wakes
// every waiter in the order they began to wait, whatever the seed.
func TestSimCondWakeOrder(t *testing.T) {
	sims(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		var woke []string // guarded by m
		wg := providers.NewWaitGroup(p.Task)
		start := func(name string) {
			wg.Go(ctx, name, func(ctx context.Context) error {
				require.NoError(t, m.Lock(ctx))
				defer m.Unlock()
				if err := c.Wait(ctx); err != nil {
					return err
				}
				woke = append(woke, name)
				return nil
			})
			pause(ctx, p) // it waits before the next starts
		}
		for _, name := range []string{"a", "b", "c"} {
			start(name)
		}
		for range 3 {
			c.Signal()
			pause(ctx, p) // the woken one runs before the next Signal
		}
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, []string{"a", "b", "c"}, woke)
	})
}

// A waiter killed in Wait, while parked (the Mutex free or held by
// another) or while it takes the Mutex back after a Signal, unwinds
// through its deferred Unlock without taking the Mutex from its holder or
// leaving it locked.
func TestSimCondKilledWaiterLeavesTheMutexBalanced(t *testing.T) {
	for _, tc := range []struct {
		name           string
		held, signaled bool
	}{{"held=false", false, false}, {"held=true", true, false}, {"relocking", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(sim.Config{Seed: 1})
			simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
				m := providers.NewMutex(p.Task)
				c := providers.NewCond(p.Task, m)
				h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
					require.NoError(t, m.Lock(ctx))
					defer m.Unlock() // runs as the kill unwinds the task
					return c.Wait(ctx)
				})
				pause(ctx, p)
				if tc.held {
					require.NoError(t, m.Lock(ctx))
				}
				if tc.signaled {
					c.Signal()
					pause(ctx, p) // the waiter wakes and waits for the Mutex
				}
				w.Kill(h)
				assert.ErrorIs(t, h.Join(ctx), providers.ErrKilled)
				if tc.held {
					assert.False(t, m.TryLock(), "the killed waiter's Unlock took the Mutex from its holder")
					m.Unlock()
				}
				assert.True(t, m.TryLock(), "the killed waiter left the Mutex locked")
				m.Unlock()
			})
		})
	}
}

// A process that crashes with tasks in Wait leaves a Mutex it shares with
// tasks that outlive it unlocked, as it found it: its tasks' deferred
// Unlocks act on nothing, so none may be taken to hold it again. A Signal
// that woke one of them reaches a waiter that outlives it, as does a
// later Broadcast.
func TestSimCondWaitersOfACrashedProcessLeaveTheMutexFree(t *testing.T) {
	for _, signalled := range []bool{false, true} {
		t.Run(fmt.Sprintf("signalled=%v", signalled), func(t *testing.T) {
			w := sim.New(sim.Config{Seed: 1})
			simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
				m := providers.NewMutex(p.Task)
				c := providers.NewCond(p.Task, m)
				open := false // guarded by m
				wait := func(ctx context.Context) error {
					return waitFor(ctx, m, c, func() bool { return open })
				}
				node := w.NewGroup("node")
				node.Go(ctx, "fetch1", wait)
				node.Go(ctx, "fetch2", wait)
				pause(ctx, p)
				survivor := p.Task.Go(ctx, "survivor", wait)
				pause(ctx, p)
				if signalled {
					require.NoError(t, m.Lock(ctx))
					open = true
					m.Unlock()
					c.Signal() // wakes fetch1, which the crash kills before it runs
				}
				node.Crash()
				lctx, cancel := timeout(ctx, p)
				defer cancel()
				require.NoError(t, m.Lock(lctx), "the crashed process's waiters left the Mutex locked")
				if !signalled {
					open = true
					c.Broadcast()
				}
				m.Unlock()
				require.NoError(t, survivor.Join(ctx))
				assert.True(t, m.TryLock(), "the Mutex is left locked")
				m.Unlock()
			})
		})
	}
}

func TestSimCondSignalToAKilledWaiterWakesTheNext(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		wait := func(ctx context.Context) error {
			require.NoError(t, m.Lock(ctx))
			defer m.Unlock()
			return c.Wait(ctx)
		}
		first := p.Task.Go(ctx, "first", wait)
		pause(ctx, p)
		second := p.Task.Go(ctx, "second", wait)
		pause(ctx, p)
		c.Signal() // wakes first, which has not run yet
		w.Kill(first)
		require.NoError(t, second.Join(ctx), "the Signal was lost with the killed task")
	})
}

// TestCondHighWatermark is the long poll a replicated log needs: a
// producer advances an offset under a Mutex and broadcasts; consumers wait
// until it passes the offset they last saw. Every consumer sees the offset
// rise and reach the end, on real goroutines and under many seeds.
func TestCondHighWatermark(t *testing.T) {
	const end, consumers = 30, 4
	fn := func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		hw := 0 // guarded by m
		seen := make([][]int, consumers)
		wg := providers.NewWaitGroup(p.Task)
		for i := range consumers {
			wg.Go(ctx, fmt.Sprintf("consumer%d", i), func(ctx context.Context) error {
				last := 0
				for last < end {
					if err := waitFor(ctx, m, c, func() bool { return hw > last }); err != nil {
						return err
					}
					require.NoError(t, m.Lock(ctx))
					last = hw
					m.Unlock()
					seen[i] = append(seen[i], last)
					if p.Random.IntN(3) == 0 {
						p.Task.Yield(ctx)
					}
				}
				return nil
			})
		}
		wg.Go(ctx, "producer", func(ctx context.Context) error {
			for range end {
				if err := p.Time.Sleep(ctx, time.Duration(p.Random.IntN(3))*time.Microsecond); err != nil {
					return err
				}
				if err := m.Lock(ctx); err != nil {
					return err
				}
				hw++
				if p.Random.IntN(2) == 0 {
					c.Broadcast()
					m.Unlock()
				} else {
					m.Unlock()
					c.Broadcast()
				}
			}
			return nil
		})
		require.NoError(t, wg.Wait(ctx))
		for i, s := range seen {
			require.NotEmpty(t, s, "consumer %d", i)
			assert.Equal(t, end, s[len(s)-1], "consumer %d", i)
			for j := 1; j < len(s); j++ {
				require.Greater(t, s[j], s[j-1], "consumer %d saw %v", i, s)
			}
		}
	}
	t.Run("real", func(t *testing.T) { fn(t, context.Background(), providers.Real()) })
	histories := map[string]bool{}
	for seed := uint64(1); seed <= 200; seed++ {
		res := simulate(t, seed, fn)
		again := simulate(t, seed, fn)
		require.Equal(t, res.Trace, again.Trace, "seed %d gave two traces", seed)
		histories[fmt.Sprint(res.Trace)] = true
	}
	assert.Greater(t, len(histories), 100, "200 seeds gave few distinct runs")
}

// TestSimCondWaitersParkVisibly checks that a Cond no one signals is a
// deadlock the simulation reports, naming the wait.
func TestSimCondWaitersParkVisibly(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		if err := m.Lock(ctx); err != nil {
			return err
		}
		defer m.Unlock()
		return c.Wait(ctx)
	}, 10*time.Second)
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "cond wait")
}

// A deadlock report on a Mutex that a task took back in Cond.Wait names
// the line of the code that called Wait, as it names a Lock's, not a line
// of package providers.
func TestSimCondRelockIsToldAtTheCallOfWait(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		m := providers.NewMutex(p.Task)
		c := providers.NewCond(p.Task, m)
		never := providers.NewChan[int](p.Task, 0)
		ready := false // guarded by m
		p.Task.Go(ctx, "consumer", func(ctx context.Context) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			defer m.Unlock()
			for !ready {
				if err := c.Wait(ctx); err != nil {
					return err
				}
			}
			_, _, err := never.Recv(ctx) // holds m for good
			return err
		})
		pause(ctx, p)
		if err := m.Lock(ctx); err != nil {
			return err
		}
		ready = true
		c.Broadcast()
		m.Unlock()
		pause(ctx, p)
		return m.Lock(ctx)
	}, 10*time.Second)
	require.Error(t, res.Err)
	assert.Regexp(t, `held by task "consumer", which locked it in github\.com/moonpool-go/moonpool/providers_test\.TestSimCondRelockIsToldAtTheCallOfWait\.func1\.1 at \S+/cond_external_test\.go:\d+\)`, res.Err.Error())
	assert.NotContains(t, res.Err.Error(), "providers/cond.go")
}
