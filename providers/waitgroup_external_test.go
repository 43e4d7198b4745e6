package providers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

func TestWaitGroupGoCountsTasks(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		done := make([]bool, 5)
		for i := range done {
			wg.Go(ctx, "worker", func(ctx context.Context) error {
				pause(ctx, p)
				done[i] = true
				return nil
			})
		}
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, []bool{true, true, true, true, true}, done)
	})
}

func TestWaitGroupGoGivesTheTaskError(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		boom := errors.New("boom")
		h := wg.Go(ctx, "failer", func(ctx context.Context) error { return boom })
		assert.Equal(t, "failer", h.Name())
		require.NoError(t, wg.Wait(ctx))
		assert.ErrorIs(t, h.Join(ctx), boom)
	})
}

func TestWaitGroupAddDone(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		require.NoError(t, wg.Wait(cancelled(ctx)), "Wait on a zero counter returns at once")
		wg.Add(2)
		done := make([]bool, 2) // written before Done, read after Wait
		for i := range done {
			p.Task.Go(ctx, "doer", func(ctx context.Context) error {
				defer wg.Done()
				pause(ctx, p)
				done[i] = true
				return nil
			})
		}
		require.NoError(t, wg.Wait(ctx))
		assert.Equal(t, []bool{true, true}, done)
	})
}

func TestWaitGroupReleasesEveryWaiter(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		wg.Add(1)
		waiters := providers.NewWaitGroup(p.Task)
		for range 3 {
			waiters.Go(ctx, "waiter", wg.Wait)
		}
		pause(ctx, p)
		wg.Done()
		require.NoError(t, waiters.Wait(ctx))
	})
}

func TestWaitGroupReuse(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		for round := range 3 {
			ran := false
			wg.Go(ctx, "worker", func(ctx context.Context) error {
				pause(ctx, p)
				ran = true
				return nil
			})
			require.NoError(t, wg.Wait(ctx))
			assert.True(t, ran, "round %d", round)
		}
	})
}

func TestWaitGroupWaitGivesUpWithContext(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		wg.Add(1)
		tctx, cancel := timeout(ctx, p)
		defer cancel()
		assert.ErrorIs(t, wg.Wait(tctx), context.DeadlineExceeded)
		assert.ErrorIs(t, wg.Wait(cancelled(ctx)), context.Canceled)
		wg.Done()
		assert.NoError(t, wg.Wait(ctx))
	})
}

func TestWaitGroupNegativeCounterPanics(t *testing.T) {
	both(t, func(t *testing.T, ctx context.Context, p providers.Providers) {
		wg := providers.NewWaitGroup(p.Task)
		const msg = "providers: negative WaitGroup counter; call Done once per Add(1)"
		assert.PanicsWithValue(t, msg, wg.Done)
		wg.Add(1)
		assert.PanicsWithValue(t, msg, func() { wg.Add(-2) })
		wg.Done()
		assert.NoError(t, wg.Wait(ctx))
	})
}

func TestNewWaitGroupMisuse(t *testing.T) {
	assert.PanicsWithValue(t, "providers: NewWaitGroup with a nil Task; pass the Task of your Providers (p.Task)",
		func() { providers.NewWaitGroup(nil) })
	var zero providers.WaitGroup
	assert.PanicsWithValue(t, "providers: WaitGroup used without NewWaitGroup; make WaitGroups with NewWaitGroup",
		func() { zero.Add(1) })
}
