package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

func TestMutexExcludes(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		wg := providers.NewWaitGroup(p.Task)
		inside, total := 0, 0 // guarded by m
		for range 8 {
			wg.Go(ctx, "locker", func(ctx context.Context) error {
				for range 20 {
					if err := m.Lock(ctx); err != nil {
						return err
					}
					inside++
					assert.Equal(t, 1, inside, "two tasks hold the Mutex")
					p.Task.Yield(ctx) // invite another task in
					inside--
					total++
					m.Unlock()
				}
				return nil
			})
		}
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, 8*20, total)
	})
}

func TestMutexTryLock(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		assert.True(t, m.TryLock())
		assert.False(t, m.TryLock())
		m.Unlock()
		assert.True(t, m.TryLock())
		m.Unlock()
	})
}

func TestMutexUnlockOfUnlockedPanics(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		assert.PanicsWithValue(t, "providers: unlock of unlocked Mutex", m.Unlock)
		require.NoError(t, m.Lock(ctx))
		m.Unlock()
		assert.PanicsWithValue(t, "providers: unlock of unlocked Mutex", m.Unlock)
	})
}

func TestMutexLockGivesUpWithContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(cancelled(ctx)), "a Lock that can proceed does so whatever ctx")
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		assert.ErrorIs(t, m.Lock(tctx), context.DeadlineExceeded)
		assert.ErrorIs(t, m.Lock(cancelled(ctx)), context.Canceled)
		m.Unlock()
		assert.True(t, m.TryLock(), "a Lock that gave up took the Mutex")
		m.Unlock()
	})
}

func TestMutexUnlockByAnotherTask(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(ctx))
		h := p.Task.Go(ctx, "unlocker", func(ctx context.Context) error {
			m.Unlock()
			return nil
		})
		require.NoError(t, m.Lock(ctx))
		require.NoError(t, h.Join(ctx))
		m.Unlock()
	})
}

func TestNewMutexMisuse(t *testing.T) {
	assert.PanicsWithValue(t, "providers: NewMutex with a nil Task; pass the Task of your Providers (p.Task)",
		func() { providers.NewMutex(nil) })
	var zero providers.Mutex
	assert.PanicsWithValue(t, "providers: Mutex used without NewMutex; make Mutexes with NewMutex",
		func() { zero.TryLock() })
}

// Simulation only: the order of waiters, and a task killed while it waits.

func TestSimMutexServesWaitersInOrder(t *testing.T) {
	sims(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(ctx))
		var order []string
		wg := providers.NewWaitGroup(p.Task)
		for i, name := range []string{"a", "b", "c"} {
			wg.Go(ctx, name, func(ctx context.Context) error {
				// Arrive in name order, whatever the scheduler picks.
				if err := p.Time.Sleep(ctx, time.Duration(i+1)*time.Millisecond); err != nil {
					return err
				}
				if err := m.Lock(ctx); err != nil {
					return err
				}
				order = append(order, name)
				p.Task.Yield(ctx)
				m.Unlock()
				return nil
			})
		}
		pause(ctx, p)
		m.Unlock()
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, []string{"a", "b", "c"}, order)
	})
}

func TestSimMutexKilledWaiterPassesItOn(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(ctx))
		h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			m.Unlock()
			return nil
		})
		pause(ctx, p)
		m.Unlock() // hands m to the waiter, which has not run yet
		w.Kill(h)
		assert.True(t, m.TryLock(), "a Mutex handed to a killed task stays locked")
	})
}

func TestSimMutexKilledWaiterLeavesQueue(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	simulateWorld(t, w, func(t *testing.T, ctx context.Context, p providers.Providers) {
		m := providers.NewMutex(p.Task)
		require.NoError(t, m.Lock(ctx))
		h := p.Task.Go(ctx, "waiter", func(ctx context.Context) error {
			return m.Lock(ctx)
		})
		pause(ctx, p)
		w.Kill(h)
		m.Unlock()
		assert.True(t, m.TryLock(), "Unlock handed the Mutex to a killed task")
	})
}
